#include "mailauth/spf_evaluation.hpp"

namespace pochta::mailauth {

struct SpfEvaluation::Frame {
    std::string domain;
    bool top = false;
    Done done;
    SpfRecord record;
    size_t next = 0;   // the next mechanism to evaluate
};

namespace {

SpfResult result_of(SpfQualifier qualifier) {
    switch (qualifier) {
        case SpfQualifier::pass: return SpfResult::pass;
        case SpfQualifier::fail: return SpfResult::fail;
        case SpfQualifier::softfail: return SpfResult::softfail;
        case SpfQualifier::neutral: break;
    }
    return SpfResult::neutral;
}

bool needs_dns(SpfMechanismKind kind) {
    return kind != SpfMechanismKind::all && kind != SpfMechanismKind::ip4 && kind != SpfMechanismKind::ip6;
}

// A name check_host() can start from (RFC 7208 section 4.3): at least two
// labels of 1 to 63 octets, an optional final dot.
bool valid_check_domain(std::string_view domain) {
    if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
    if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos) return false;
    size_t label = 0;
    for (char c : domain) {
        if (c != '.' && ++label <= 63) continue;
        if (c != '.' || label == 0) return false;
        label = 0;
    }
    return label > 0;
}

}  // namespace

SpfEvaluation::SpfEvaluation(dns::Resolver& resolver, IpAddress client, SpfMacroValues values)
    : resolver_(resolver), client_(client), values_(std::move(values)) {}

void SpfEvaluation::check_host(std::string domain, bool top, Done done) {
    if (!valid_check_domain(domain)) return done(SpfResult::none);
    auto frame = std::make_shared<Frame>();
    frame->domain = std::move(domain);
    frame->top = top;
    frame->done = std::move(done);
    resolver_.resolve_txt(frame->domain, [self = shared_from_this(), frame](dns::TxtResult txt) {
        self->read_record(frame, txt);
    });
}

// RFC 7208 sections 4.4 to 4.6: the record, or why there is none.
void SpfEvaluation::read_record(FramePtr frame, const dns::TxtResult& txt) {
    if (txt.error == dns::Error::temporary) return frame->done(SpfResult::temperror);
    if (over_void_limit(txt.error, txt.records.empty())) return frame->done(SpfResult::permerror);
    SpfSelection selection = select_spf_record(txt.records);
    if (selection.kind == SpfSelection::Kind::none) return frame->done(SpfResult::none);
    if (selection.kind == SpfSelection::Kind::several) return frame->done(SpfResult::permerror);
    SpfParse parsed = parse_spf_record(selection.record);
    if (!parsed.record) return frame->done(SpfResult::permerror);
    frame->record = std::move(*parsed.record);
    evaluate(frame);
}

// Mechanisms left to right; the first that matches decides (RFC 7208 section 4.6.2).
void SpfEvaluation::evaluate(FramePtr frame) {
    const auto& mechanisms = frame->record.mechanisms;
    while (frame->next < mechanisms.size()) {
        const SpfMechanism& m = mechanisms[frame->next];
        if (needs_dns(m.kind)) return evaluate_dns_term(frame, m);
        const bool matched = m.kind == SpfMechanismKind::all ||
                             in_network(client_, m.network, client_.v6 ? m.prefix6 : m.prefix4);
        if (matched) return conclude(frame, result_of(m.qualifier));
        ++frame->next;
    }
    if (frame->record.redirect) return follow_redirect(frame);
    conclude(frame, SpfResult::neutral);
}

void SpfEvaluation::evaluate_dns_term(FramePtr frame, const SpfMechanism& m) {
    if (++dns_terms_ > max_dns_terms) return conclude(frame, SpfResult::permerror);
    expand_target(m.domain_spec, frame->domain, [self = shared_from_this(), frame, &m](std::optional<std::string> target) {
        if (!target) return self->conclude(frame, SpfResult::permerror);
        self->match(m, *target, [self, frame, &m](Verdict verdict) {
            switch (verdict) {
                case Verdict::match: return self->conclude(frame, result_of(m.qualifier));
                case Verdict::temperror: return self->conclude(frame, SpfResult::temperror);
                case Verdict::permerror: return self->conclude(frame, SpfResult::permerror);
                case Verdict::no_match: break;
            }
            ++frame->next;
            self->evaluate(frame);
        });
    });
}

// redirect= stands for the target's whole result; a target without a
// record is a permerror (RFC 7208 section 6.1).
void SpfEvaluation::follow_redirect(FramePtr frame) {
    if (++dns_terms_ > max_dns_terms) return conclude(frame, SpfResult::permerror);
    expand_target(*frame->record.redirect, frame->domain, [self = shared_from_this(), frame](std::optional<std::string> target) {
        if (!target) return self->conclude(frame, SpfResult::permerror);
        self->check_host(*target, frame->top, [frame](SpfResult result) {
            frame->done(result == SpfResult::none ? SpfResult::permerror : result);
        });
    });
}

void SpfEvaluation::conclude(FramePtr frame, SpfResult result) {
    if (result == SpfResult::fail && frame->top && frame->record.explanation) return fetch_explanation(frame, result);
    frame->done(result);
}

// exp= is looked up after the result is known, outside the limits, and
// whatever goes wrong only leaves the explanation out (RFC 7208 section 6.2).
void SpfEvaluation::fetch_explanation(FramePtr frame, SpfResult result) {
    expand_target(*frame->record.explanation, frame->domain,
                  [self = shared_from_this(), frame, result](std::optional<std::string> name) {
                      if (!name) return frame->done(result);
                      self->explain(frame, *name, result);
                  });
}

void SpfEvaluation::explain(FramePtr frame, const std::string& exp_name, SpfResult result) {
    resolver_.resolve_txt(exp_name, [self = shared_from_this(), frame, result](dns::TxtResult txt) {
        if (txt.error == dns::Error::none && txt.records.size() == 1) {
            auto text = expand_macros(txt.records.front(), self->values_for(frame->domain), MacroUse::explanation);
            if (text) self->explanation_ = std::move(*text);
        }
        frame->done(result);
    });
}

}  // namespace pochta::mailauth
