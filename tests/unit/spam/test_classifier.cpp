// Robinson-Fisher classification (README.md, "Spam").
#include <catch2/catch.hpp>

#include "spam/classifier.hpp"

using namespace pochta::spam;

TEST_CASE("chi2_q matches known values", "[spam][classifier]") {
    CHECK(chi2_q(0, 2) == Approx(1.0));
    CHECK(chi2_q(2, 2) == Approx(std::exp(-1.0)));
    // P(chi2 >= 9.49 | 4 dof) = 0.05
    CHECK(chi2_q(9.4877, 4) == Approx(0.05).epsilon(0.01));
    CHECK(chi2_q(1e6, 300) == Approx(0.0).margin(1e-12));
}

TEST_CASE("token probability leans to the prior while rare", "[spam][classifier]") {
    Corpus corpus{100, 100};
    CHECK(token_probability({0, 0}, corpus) == 0.5);
    CHECK(token_probability({1, 0}, corpus) > 0.5);
    CHECK(token_probability({1, 0}, corpus) < token_probability({50, 0}, corpus));
    CHECK(token_probability({0, 50}, corpus) < 0.05);
    CHECK(token_probability({10, 10}, corpus) == Approx(0.5));
}

TEST_CASE("classify: untrained says nothing; spammy and hammy tokens decide", "[spam][classifier]") {
    std::vector<TokenCount> spammy(20, TokenCount{40, 0});
    std::vector<TokenCount> hammy(20, TokenCount{0, 40});
    CHECK_FALSE(classify(spammy, Corpus{3, 2}).trained);
    auto s = classify(spammy, Corpus{50, 50});
    CHECK(s.trained);
    CHECK(s.spam_probability > 0.99);
    CHECK(s.clues == 20);
    CHECK(classify(hammy, Corpus{50, 50}).spam_probability < 0.01);
    std::vector<TokenCount> mixed = spammy;
    mixed.insert(mixed.end(), hammy.begin(), hammy.end());
    CHECK(classify(mixed, Corpus{50, 50}).spam_probability == Approx(0.5).margin(0.05));
    // Tokens never seen are no clues.
    CHECK(classify(std::vector<TokenCount>(5), Corpus{50, 50}).clues == 0);
}

TEST_CASE("only spam trained: its tokens are spam, until a ham copy balances them", "[spam][classifier]") {
    std::vector<TokenCount> seen(30, TokenCount{20, 0});
    CHECK(classify(seen, Corpus{20, 0}).spam_probability > 0.99);
    std::vector<TokenCount> balanced(30, TokenCount{20, 1});
    CHECK(classify(balanced, Corpus{20, 1}).spam_probability < 0.6);
}

TEST_CASE("at most max_clues tokens count, the most extreme", "[spam][classifier]") {
    std::vector<TokenCount> counts(100000, TokenCount{0, 3});
    counts.resize(100200, TokenCount{500, 0});
    ClassifierOptions options;
    auto c = classify(counts, Corpus{500, 500}, options);
    CHECK(c.clues == options.max_clues);
    CHECK(c.spam_probability > 0.99);
}
