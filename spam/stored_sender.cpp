// Reading back what pochta wrote on top of a stored message (README.md,
// "Spam", training).
#include "spam/stored_sender.hpp"

#include "common/config/config.hpp"
#include "common/mime/header.hpp"
#include "common/util/strings.hpp"
#include "spam/distinct.hpp"

namespace pochta::spam {

namespace {

constexpr uint32_t max_field = 8192;

// The value of `name=` among the words of one result (up to ';').
std::string_view property(std::string_view result, std::string_view name) {
    for (std::string_view word : split_words(result)) {
        if (istarts_with(word, name) && word.size() > name.size() && word[name.size()] == '=')
            return word.substr(name.size() + 1);
    }
    return {};
}

std::string domain_part(std::string_view value) {
    size_t at = value.rfind('@');
    if (at != std::string_view::npos) value = value.substr(at + 1);
    while (!value.empty() && (value.back() == ')' || value.back() == '"')) value.remove_suffix(1);
    std::string domain = to_lower(value);
    return is_valid_hostname(domain) ? domain : std::string();
}

// "from HELO ([192.0.2.7])": the address between "([" and "])".
std::string received_ip(std::string_view value) {
    size_t open = value.find("([");
    if (open == std::string_view::npos) return "";
    size_t close = value.find("])", open);
    if (close == std::string_view::npos || close - open > 50) return "";
    return std::string(value.substr(open + 2, close - open - 2));
}

}  // namespace

std::vector<std::string> passed_domains(std::string_view auth_results) {
    std::vector<std::string> out;
    for (std::string_view result : split(auth_results, ';')) {
        result = trim(result);
        if (istarts_with(result, "dkim=pass")) {
            std::string_view d = property(result, "header.d");
            add_distinct(out, domain_part(d.empty() ? property(result, "header.i") : d));
        } else if (istarts_with(result, "spf=pass")) {
            add_distinct(out, domain_part(property(result, "smtp.mailfrom")));
        }
    }
    return out;
}

SenderFacts stored_sender(std::string_view message, const std::string& author) {
    SenderFacts facts;
    std::string return_path;
    mime::for_each_field(message.substr(0, mime::find_header_end(message, 0, message.size())), max_field,
                         [&](std::string_view name, std::string value) {
                             if (iequals(name, "return-path")) {
                                 if (return_path.empty()) return_path = std::string(trim(value));
                             } else if (iequals(name, "authentication-results")) {
                                 for (auto& d : passed_domains(value)) facts.verified_domains.push_back(std::move(d));
                             } else if (iequals(name, "received")) {
                                 facts.client_ip = received_ip(value);
                                 return false;   // ours is the first; the rest is the sender's
                             }
                             return true;
                         });
    if (return_path.size() >= 2 && return_path.front() == '<' && return_path.back() == '>')
        return_path = return_path.substr(1, return_path.size() - 2);
    facts.address = author.empty() ? to_lower(return_path) : author;
    return facts;
}

}  // namespace pochta::spam
