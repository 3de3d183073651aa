#include "lists/list_policy.hpp"

#include "store/list_data.hpp"

namespace pochta::lists {

PostDecision decide_post(const ListSettings& settings, uint32_t roles) {
    const bool moderator = (roles & (store::list_moderator | store::list_owner)) != 0;
    const bool member = (roles & store::list_member) != 0;
    if (moderator) return PostDecision::distribute;
    const PostDecision stranger =
        settings.non_member == NonMemberAction::hold ? PostDecision::hold : PostDecision::reject;
    switch (settings.policy) {
        case PostingPolicy::open: return PostDecision::distribute;
        case PostingPolicy::members: return member ? PostDecision::distribute : stranger;
        case PostingPolicy::announce: return member ? PostDecision::reject : stranger;
        case PostingPolicy::moderated: return member ? PostDecision::hold : stranger;
    }
    return PostDecision::hold;
}

}  // namespace pochta::lists
