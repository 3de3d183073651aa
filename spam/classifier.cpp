// Robinson-Fisher combining (README.md, "Spam"). The chi-square test is
// run twice, for the spam and the ham hypothesis, and the two are joined
// into one indicator in [0, 1]; clues near 0.5 are dropped and at most
// max_clues are used, so a long message cannot drown the signal.
#include "spam/classifier.hpp"

#include <algorithm>
#include <cmath>

namespace pochta::spam {

namespace {

// Keeps logarithms finite and a single token from ever deciding alone.
constexpr double min_probability = 0.0001;

double ratio(uint32_t count, uint32_t messages) {
    return static_cast<double>(count) / std::max<uint32_t>(messages, 1);
}

}  // namespace

double token_probability(TokenCount count, Corpus corpus, const ClassifierOptions& options) {
    const double spam_ratio = ratio(count.spam, corpus.spam_messages);
    const double ham_ratio = ratio(count.ham, corpus.ham_messages);
    const double n = static_cast<double>(count.spam) + count.ham;
    if (n == 0 || spam_ratio + ham_ratio == 0) return options.prior;
    const double p = spam_ratio / (spam_ratio + ham_ratio);
    return (options.strength * options.prior + n * p) / (options.strength + n);
}

double chi2_q(double chi2, size_t degrees) {
    const double m = chi2 / 2.0;
    double term = std::exp(-m);
    double sum = term;
    for (size_t i = 1; i < degrees / 2; ++i) {
        term *= m / static_cast<double>(i);
        sum += term;
    }
    return std::min(sum, 1.0);
}

Classification classify(const std::vector<TokenCount>& counts, Corpus corpus, const ClassifierOptions& options) {
    Classification out;
    if (corpus.total() < options.min_messages || corpus.total() == 0) return out;
    out.trained = true;
    std::vector<double> clues;
    for (const TokenCount& count : counts) {
        double p = token_probability(count, corpus, options);
        if (std::fabs(p - 0.5) >= options.min_deviation) clues.push_back(p);
    }
    if (clues.empty()) return out;
    if (clues.size() > options.max_clues) {
        auto extreme = [](double a, double b) { return std::fabs(a - 0.5) > std::fabs(b - 0.5); };
        std::nth_element(clues.begin(), clues.begin() + static_cast<std::ptrdiff_t>(options.max_clues), clues.end(),
                         extreme);
        clues.resize(options.max_clues);
    }
    double ln_spam = 0, ln_ham = 0;
    for (double p : clues) {
        p = std::clamp(p, min_probability, 1 - min_probability);
        ln_spam += std::log(p);
        ln_ham += std::log(1 - p);
    }
    const size_t degrees = 2 * clues.size();
    const double spam_evidence = 1 - chi2_q(-2 * ln_ham, degrees);  // high when tokens are spammy
    const double ham_evidence = 1 - chi2_q(-2 * ln_spam, degrees);  // high when tokens are hammy
    out.spam_probability = (spam_evidence - ham_evidence + 1) / 2;
    out.clues = clues.size();
    return out;
}

}  // namespace pochta::spam
