#include "imap/thread.hpp"

#include <algorithm>
#include <unordered_map>

#include "common/util/strings.hpp"

namespace pochta::imap {

namespace {

constexpr int32_t kNone = -1;

// What threading compares of one message.
struct Input {
    uint32_t seq = 0;
    uint32_t number = 0;
    int64_t date = 0;
    const SortKeys* keys = nullptr;

    const std::string& subject() const { return keys->subject; }
};

std::vector<Input> read_inputs(const std::vector<KeyedMessage>& messages, bool uid) {
    std::vector<Input> inputs;
    inputs.reserve(messages.size());
    for (const KeyedMessage& m : messages) inputs.push_back(Input{m.seq, uid ? m.uid : m.seq, m.sent_date(), &m.keys});
    return inputs;
}

// Messages and dummies of the REFERENCES algorithm, linked by index.
class Forest {
public:
    struct Container {
        int32_t message = kNone;  // index into the inputs; kNone for a dummy
        int32_t parent = kNone;
        std::vector<int32_t> children;
    };

    explicit Forest(const std::vector<Input>& inputs) : inputs_(inputs) {}

    int32_t add(int32_t message = kNone) {
        containers_.push_back({message, kNone, {}});
        return static_cast<int32_t>(containers_.size() - 1);
    }
    Container& operator[](int32_t i) { return containers_[static_cast<size_t>(i)]; }
    size_t size() const { return containers_.size(); }
    bool dummy(int32_t i) const { return containers_[static_cast<size_t>(i)].message == kNone; }

    void link(int32_t parent, int32_t child) {
        (*this)[child].parent = parent;
        (*this)[parent].children.push_back(child);
    }
    void unlink(int32_t child) {
        int32_t parent = (*this)[child].parent;
        if (parent == kNone) return;
        std::vector<int32_t>& siblings = (*this)[parent].children;
        siblings.erase(std::find(siblings.begin(), siblings.end(), child));
        (*this)[child].parent = kNone;
    }
    // True when `a` is `b` or one of its ancestors: linking a under b would loop.
    bool ancestor_or_self(int32_t a, int32_t b) {
        for (int32_t x = b; x != kNone; x = (*this)[x].parent)
            if (x == a) return true;
        return false;
    }

    // The message that stands for a container when sorting and grouping:
    // itself, or a dummy's first child (recursively).
    const Input* representative(int32_t i) {
        for (size_t guard = 0; guard <= containers_.size(); ++guard) {
            if (!dummy(i)) return &inputs_[static_cast<size_t>((*this)[i].message)];
            if ((*this)[i].children.empty()) return nullptr;
            i = (*this)[i].children.front();
        }
        return nullptr;
    }
    bool earlier(int32_t a, int32_t b) {
        const Input* x = representative(a);
        const Input* y = representative(b);
        if (!x || !y) return x != nullptr && y == nullptr;
        if (x->date != y->date) return x->date < y->date;
        return x->seq < y->seq;
    }
    void sort_by_date(std::vector<int32_t>& list) {
        std::stable_sort(list.begin(), list.end(), [&](int32_t a, int32_t b) { return earlier(a, b); });
    }

    // Containers below `roots`, children before their parents; no recursion.
    std::vector<int32_t> post_order(const std::vector<int32_t>& roots) {
        std::vector<int32_t> order;
        std::vector<std::pair<int32_t, size_t>> stack;
        for (int32_t root : roots) {
            stack.push_back({root, 0});
            while (!stack.empty()) {
                auto& [node, next] = stack.back();
                if (next < (*this)[node].children.size()) {
                    int32_t child = (*this)[node].children[next++];
                    stack.push_back({child, 0});
                } else {
                    order.push_back(node);
                    stack.pop_back();
                }
            }
        }
        return order;
    }

private:
    const std::vector<Input>& inputs_;
    std::vector<Container> containers_;
};

// Step 1: Message-ID / References links, with dummies for missing messages.
std::vector<int32_t> link_messages(Forest& forest, const std::vector<Input>& inputs) {
    std::vector<size_t> by_seq(inputs.size());
    for (size_t i = 0; i < by_seq.size(); ++i) by_seq[i] = i;
    std::stable_sort(by_seq.begin(), by_seq.end(), [&](size_t a, size_t b) { return inputs[a].seq < inputs[b].seq; });

    std::unordered_map<uint64_t, int32_t> ids;
    ids.reserve(inputs.size() * 2);
    auto container_for = [&](uint64_t id) {
        auto [it, inserted] = ids.try_emplace(id, kNone);
        if (inserted) it->second = forest.add();
        return it->second;
    };
    for (size_t index : by_seq) {
        const Input& in = inputs[index];
        int32_t self = kNone;
        // A missing or duplicate Message-ID gets a container of its own.
        if (in.keys->message_id != 0) {
            int32_t known = container_for(in.keys->message_id);
            if (forest.dummy(known)) self = known;
        }
        if (self == kNone) self = forest.add();
        forest[self].message = static_cast<int32_t>(index);

        int32_t previous = kNone;
        for (uint64_t ref : in.keys->references) {
            int32_t current = container_for(ref);
            if (previous != kNone && forest[current].parent == kNone && !forest.ancestor_or_self(current, previous))
                forest.link(previous, current);
            previous = current;
        }
        // Step 1.B: the last reference is the parent, whatever was linked before.
        if (forest[self].parent != previous) {
            forest.unlink(self);
            if (previous != kNone && !forest.ancestor_or_self(self, previous)) forest.link(previous, self);
        }
    }
    std::vector<int32_t> roots;
    for (size_t i = 0; i < forest.size(); ++i)
        if (forest[static_cast<int32_t>(i)].parent == kNone) roots.push_back(static_cast<int32_t>(i));
    return roots;
}

// Step 3: dummies without children go; dummies with children give them to
// their parent, except at the top, where only a single child is promoted.
void prune(Forest& forest, std::vector<int32_t>& roots) {
    for (int32_t node : forest.post_order(roots)) {
        std::vector<int32_t> kept;
        for (int32_t child : forest[node].children) {
            if (!forest.dummy(child)) {
                kept.push_back(child);
                continue;
            }
            for (int32_t grandchild : forest[child].children) {
                forest[grandchild].parent = node;
                kept.push_back(grandchild);
            }
            forest[child].children.clear();
        }
        forest[node].children = std::move(kept);
    }
    std::vector<int32_t> top;
    for (int32_t root : roots) {
        if (!forest.dummy(root) || forest[root].children.size() > 1) {
            top.push_back(root);
        } else if (forest[root].children.size() == 1) {
            int32_t only = forest[root].children.front();
            forest[only].parent = kNone;
            top.push_back(only);
        }
    }
    roots = std::move(top);
}

// Step 5: threads whose subjects match are gathered under one parent.
void merge_subjects(Forest& forest, std::vector<int32_t>& roots) {
    auto subject_of = [&](int32_t i) -> const std::string* {
        const Input* in = forest.representative(i);
        return in && !in->subject().empty() ? &in->subject() : nullptr;
    };
    auto reply = [&](int32_t i) { return !forest.dummy(i) && forest.representative(i)->keys->reply_or_forward; };

    std::unordered_map<std::string, int32_t> table;
    for (int32_t root : roots) {
        const std::string* subject = subject_of(root);
        if (!subject) continue;
        auto [it, inserted] = table.try_emplace(*subject, root);
        int32_t held = it->second;
        if (!inserted && !forest.dummy(held) && (forest.dummy(root) || (reply(held) && !reply(root))))
            it->second = root;
    }

    // Merging may replace a later root by a new dummy, so walk the live list.
    std::vector<int32_t> live = roots;
    std::vector<bool> removed(live.size(), false);
    std::unordered_map<int32_t, size_t> position;
    for (size_t i = 0; i < live.size(); ++i) position[live[i]] = i;
    for (size_t i = 0; i < live.size(); ++i) {
        int32_t root = live[i];
        const std::string* subject = subject_of(root);
        if (!subject) continue;
        int32_t held = table[*subject];
        if (held == root) continue;
        removed[i] = true;
        if (forest.dummy(held) && forest.dummy(root)) {
            for (int32_t child : forest[root].children) forest.link(held, child);
            forest[root].children.clear();
        } else if (forest.dummy(held) || (reply(root) && !reply(held))) {
            forest.link(held, root);
        } else {
            int32_t merged = forest.add();
            size_t at = position[held];
            live[at] = merged;
            position[merged] = at;
            forest.link(merged, held);
            forest.link(merged, root);
            table[*subject] = merged;
        }
    }
    roots.clear();
    for (size_t i = 0; i < live.size(); ++i)
        if (!removed[i]) roots.push_back(live[i]);
}

ThreadTree to_tree(Forest& forest, const std::vector<int32_t>& roots, const std::vector<Input>& inputs) {
    ThreadTree tree;
    std::vector<std::pair<int32_t, uint32_t>> stack;  // container, its node index
    auto add_node = [&](int32_t c) {
        ThreadTree::Node node;
        if (!forest.dummy(c)) node.number = inputs[static_cast<size_t>(forest[c].message)].number;
        tree.nodes.push_back(std::move(node));
        uint32_t index = static_cast<uint32_t>(tree.nodes.size() - 1);
        stack.push_back({c, index});
        return index;
    };
    for (int32_t root : roots) {
        tree.roots.push_back(add_node(root));
        while (!stack.empty()) {
            auto [c, index] = stack.back();
            stack.pop_back();
            for (int32_t child : forest[c].children) {
                uint32_t child_index = add_node(child);
                tree.nodes[index].children.push_back(child_index);
            }
        }
    }
    return tree;
}

ThreadTree thread_references(const std::vector<Input>& inputs) {
    Forest forest(inputs);
    std::vector<int32_t> roots = link_messages(forest, inputs);
    prune(forest, roots);
    // Step 4: the top level in date order, a dummy by its earliest child.
    for (int32_t root : roots)
        if (forest.dummy(root)) forest.sort_by_date(forest[root].children);
    forest.sort_by_date(roots);
    merge_subjects(forest, roots);
    // Step 6: every set of siblings by date, deepest first.
    for (int32_t node : forest.post_order(roots)) forest.sort_by_date(forest[node].children);
    forest.sort_by_date(roots);
    return to_tree(forest, roots, inputs);
}

ThreadTree thread_ordered_subject(const std::vector<Input>& inputs) {
    std::vector<size_t> order(inputs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto by_date = [&](size_t a, size_t b) {
        if (inputs[a].date != inputs[b].date) return inputs[a].date < inputs[b].date;
        return inputs[a].seq < inputs[b].seq;
    };
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        if (inputs[a].subject() != inputs[b].subject()) return inputs[a].subject() < inputs[b].subject();
        return by_date(a, b);
    });
    ThreadTree tree;
    std::vector<size_t> firsts;  // the message heading each root
    for (size_t k = 0; k < order.size(); ++k) {
        const Input& in = inputs[order[k]];
        tree.nodes.push_back({in.number, {}});
        uint32_t index = static_cast<uint32_t>(tree.nodes.size() - 1);
        if (k > 0 && inputs[order[k - 1]].subject() == in.subject()) {
            tree.nodes[tree.roots.back()].children.push_back(index);
        } else {
            tree.roots.push_back(index);
            firsts.push_back(order[k]);
        }
    }
    std::vector<size_t> root_order(tree.roots.size());
    for (size_t i = 0; i < root_order.size(); ++i) root_order[i] = i;
    std::sort(root_order.begin(), root_order.end(), [&](size_t a, size_t b) { return by_date(firsts[a], firsts[b]); });
    std::vector<uint32_t> roots;
    for (size_t i : root_order) roots.push_back(tree.roots[i]);
    tree.roots = std::move(roots);
    return tree;
}

// Writes the node and the chain of single children below it ("3 6"); returns
// the children to list in parentheses next, or nullptr when the chain ends
// in a leaf.
const std::vector<uint32_t>* write_chain(const ThreadTree& tree, uint32_t index, std::string& out) {
    bool wrote = false;
    for (;;) {
        const ThreadTree::Node& node = tree.nodes[index];
        if (node.number != 0) {
            if (wrote) out += ' ';
            out += std::to_string(node.number);
            wrote = true;
        }
        if (node.children.size() == 1) {
            index = node.children.front();
            continue;
        }
        if (node.children.empty()) return nullptr;
        if (wrote) out += ' ';
        return &node.children;
    }
}

}  // namespace

std::optional<ThreadAlgorithm> parse_thread_algorithm(std::string_view name) {
    if (iequals(name, "ORDEREDSUBJECT")) return ThreadAlgorithm::ordered_subject;
    if (iequals(name, "REFERENCES")) return ThreadAlgorithm::references;
    return std::nullopt;
}

std::optional<ThreadCommand> parse_thread_command(std::span<const Token> args, SearchError& error) {
    error = {SearchError::Kind::syntax, {}};
    std::optional<ThreadAlgorithm> algorithm;
    if (!args.empty() && args[0].is_atom()) algorithm = parse_thread_algorithm(args[0].text);
    if (!algorithm) {
        error.reason = "unknown threading algorithm";
        return std::nullopt;
    }
    std::optional<std::string_view> charset = args.size() > 1 ? args[1].astring() : std::nullopt;
    if (!charset) {
        error.reason = "THREAD needs a charset";
        return std::nullopt;
    }
    if (!iequals(*charset, "UTF-8") && !iequals(*charset, "US-ASCII")) {
        error = {SearchError::Kind::bad_charset, "unsupported charset"};
        return std::nullopt;
    }
    std::span<const Token> keys = args.subspan(2);
    if (!keys.empty() && keys[0].is_atom() && (iequals(keys[0].text, "RETURN") || iequals(keys[0].text, "CHARSET"))) {
        error.reason = "unexpected " + to_lower(keys[0].text);
        return std::nullopt;
    }
    std::optional<SearchQuery> query = parse_search(keys, error);
    if (!query) return std::nullopt;
    ThreadCommand command;
    command.algorithm = *algorithm;
    command.query = std::move(*query);
    command.query.charset = iequals(*charset, "UTF-8") ? "UTF-8" : "US-ASCII";
    return command;
}

ThreadTree thread_messages(const std::vector<KeyedMessage>& messages, ThreadAlgorithm algorithm, bool uid) {
    std::vector<Input> inputs = read_inputs(messages, uid);
    return algorithm == ThreadAlgorithm::references ? thread_references(inputs) : thread_ordered_subject(inputs);
}

std::string format_threads(const ThreadTree& tree) {
    std::string out;
    struct Frame {
        const std::vector<uint32_t>* children;
        size_t next;
    };
    std::vector<Frame> stack;
    // Opens "(" for a thread or subtree; closes it at once when it is a plain chain.
    auto open = [&](uint32_t index) {
        out += '(';
        if (const std::vector<uint32_t>* children = write_chain(tree, index, out)) stack.push_back({children, 0});
        else out += ')';
    };
    for (uint32_t root : tree.roots) {
        open(root);
        while (!stack.empty()) {
            Frame& top = stack.back();
            if (top.next < top.children->size()) {
                open((*top.children)[top.next++]);
            } else {
                stack.pop_back();
                out += ')';
            }
        }
    }
    return out;
}

std::string format_thread_response(const ThreadTree& tree) {
    std::string threads = format_threads(tree);
    return threads.empty() ? "* THREAD\r\n" : "* THREAD " + threads + "\r\n";
}

}  // namespace pochta::imap
