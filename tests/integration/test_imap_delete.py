"""DELETE, CREATE and RENAME around mailboxes with inferiors, as Dovecot
answers them (RFC 3501 6.3.4; README, "IMAP"): deleting a mailbox that has
children deletes its messages and keeps the name as \\Noselect while
children exist; a \\Noselect name vanishes with its last child (deleted or
renamed away); CREATE and RENAME make no empty parents; only DELETE of a
\\Noselect name with children is refused ([INUSE], rev2 [HASCHILDREN])."""

import re
import pytest

from imap_pool import pool_fixture
from test_imap import imaps, mail, ok
from test_imap_rev2 import Raw, tagged


srv = pool_fixture("del", 10)


@pytest.fixture
def user(srv):
    return srv.pool.pop()


def names(m, pattern="*"):
    """{name: attributes} of LIST "" pattern, through imaplib."""
    out = {}
    for line in ok(m.list('""', pattern)):
        if line is None:
            continue
        attrs, _, rest = line.decode().partition(') "/" ')
        out[rest.strip('"')] = set(attrs.lstrip("(").split())
    return out


def test_delete_with_children_keeps_a_noselect_name(srv, user):
    m = imaps(srv, user)
    ok(m.create("Folder"))
    ok(m.create("Folder/Sub"))
    for i in range(2):
        ok(m.append("Folder", None, None, mail(f"del-parent-{i}")))
    ok(m.append("Folder/Sub", None, None, mail("del-child")))

    ok(m.delete("Folder"))
    listed = names(m, "Folder*")
    assert listed == {"Folder": {"\\Noselect", "\\HasChildren"}, "Folder/Sub": {"\\HasNoChildren"}}
    typ, data = m.select("Folder")
    assert typ == "NO" and b"NONEXISTENT" in data[0]
    # The child and its message are untouched.
    assert ok(m.status("Folder/Sub", "(MESSAGES)")) == [b"Folder/Sub (MESSAGES 1)"]
    # A \Noselect name with children: RFC 3501 6.3.4's one refusal.
    typ, data = m.delete("Folder")
    assert typ == "NO" and data == [b"[INUSE] Mailbox has inferior hierarchical names"]

    # Created again, it is a new, empty mailbox.
    ok(m.create("Folder"))
    assert ok(m.status("Folder", "(MESSAGES)")) == [b"Folder (MESSAGES 0)"]
    ok(m.delete("Folder"))
    ok(m.delete("Folder/Sub"))
    assert names(m, "Folder*") == {}
    m.logout()


def test_rev2_refusal_is_haschildren(srv, user):
    r = Raw(srv, user, rev2=True)
    assert re.fullmatch(rb"a1 OK \[MAILBOXID \(F\d+\)\] CREATE completed", tagged(r.cmd("a1", "CREATE Box/Inner")))
    assert tagged(r.cmd("a2", "DELETE Box")) == b"a2 NO [HASCHILDREN] Mailbox has inferior hierarchical names"
    assert tagged(r.cmd("a3", "DELETE Box/Inner")) == b"a3 OK DELETE completed"
    assert tagged(r.cmd("a4", "DELETE Box")) == b"a4 NO [NONEXISTENT] No such mailbox"
    r.close()


def test_create_makes_no_empty_parents(srv, user):
    m = imaps(srv, user)
    ok(m.create("a/b/c"))
    assert names(m, "a*") == {"a": {"\\Noselect", "\\HasChildren"}, "a/b": {"\\Noselect", "\\HasChildren"},
                              "a/b/c": {"\\HasNoChildren"}}
    typ, data = m.select("a/b")
    assert typ == "NO"
    typ, data = m.append("a/b", None, None, mail("no-parent"))
    assert typ == "NO" and b"TRYCREATE" in data[0]
    ok(m.delete("a/b/c"))
    assert names(m, "a*") == {}  # nothing piles up
    # A parent made real by CREATE stays when its child goes.
    ok(m.create("p/q"))
    ok(m.create("p"))
    ok(m.delete("p/q"))
    assert names(m, "p*") == {"p": {"\\HasNoChildren"}}
    m.logout()


def test_rename_makes_no_empty_parents_and_leaves_none_behind(srv, user):
    m = imaps(srv, user)
    ok(m.create("Old"))
    ok(m.append("Old", None, None, mail("renamed")))
    ok(m.rename("Old", "x/y/New"))
    assert names(m, "x*") == {"x": {"\\Noselect", "\\HasChildren"}, "x/y": {"\\Noselect", "\\HasChildren"},
                              "x/y/New": {"\\HasNoChildren"}}
    assert ok(m.status("x/y/New", "(MESSAGES)")) == [b"x/y/New (MESSAGES 1)"]
    ok(m.rename("x/y/New", "Back"))  # the levels go with their last child
    assert names(m, "x*") == {}
    assert ok(m.status("Back", "(MESSAGES)")) == [b"Back (MESSAGES 1)"]
    m.logout()


def test_rename_of_a_noselect_level_renames_its_children(srv, user):
    m = imaps(srv, user)
    ok(m.create("Level/One"))
    ok(m.append("Level/One", None, None, mail("level-one")))
    ok(m.rename("Level", "Moved"))
    assert names(m, "Level*") == {}
    assert names(m, "Moved*") == {"Moved": {"\\Noselect", "\\HasChildren"}, "Moved/One": {"\\HasNoChildren"}}
    assert ok(m.status("Moved/One", "(MESSAGES)")) == [b"Moved/One (MESSAGES 1)"]
    typ, data = m.rename("Level", "Other")
    assert typ == "NO" and b"NONEXISTENT" in data[0]
    m.logout()


def test_another_session_on_a_deleted_parent_is_told(srv, user):
    watcher = Raw(srv, user)
    m = imaps(srv, user)
    ok(m.create("Shared"))
    ok(m.create("Shared/Kid"))
    ok(m.append("Shared", None, None, mail("seen-by-watcher")))
    assert tagged(watcher.cmd("w1", "SELECT Shared")).startswith(b"w1 OK")
    ok(m.delete("Shared"))
    # The watcher's mailbox is gone: it is told so and the session ends.
    assert watcher.line().startswith(b"* BYE")
    watcher.close()
    m.logout()
