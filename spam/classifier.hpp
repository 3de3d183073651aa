// The per-user statistical classifier (README.md, "Spam"): Gary
// Robinson's token probabilities combined with Fisher's chi-square method,
// as SpamBayes and bogofilter do. Pure: the counts come from the store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "store/spam_data.hpp"

namespace pochta::spam {

// The counts come from the store (store/spam_data.hpp).
using TokenCount = store::SpamTokenCount;
using Corpus = store::SpamCorpus;

struct ClassifierOptions {
    double strength = 0.45;        // Robinson's s: how much an unseen token leans to `prior`
    double prior = 0.5;            // Robinson's x: the probability of a token never seen
    double min_deviation = 0.1;    // tokens closer than this to 0.5 are not clues
    size_t max_clues = 150;        // the most extreme tokens taken
    uint32_t min_messages = 10;    // trained messages before the classifier says anything
};

struct Classification {
    bool trained = false;          // enough training: spam_probability means something
    double spam_probability = 0.5; // 0 = ham, 1 = spam
    size_t clues = 0;              // tokens that counted
};

// Robinson's f(w): the token's spam probability, drawn towards `prior`
// while it has been seen rarely.
double token_probability(TokenCount count, Corpus corpus, const ClassifierOptions& options = {});

// Fisher's inverse chi-square: the probability that a chi-square value
// this large comes by chance with `degrees` (even) degrees of freedom.
double chi2_q(double chi2, size_t degrees);

// `counts` holds one entry per distinct token of the message (unseen
// tokens as zeros). Bounded by max_clues in the combining step; linear in
// counts.size() otherwise.
Classification classify(const std::vector<TokenCount>& counts, Corpus corpus, const ClassifierOptions& options = {});

}  // namespace pochta::spam
