"""Sieve (README "Sieve"): `pochta sieve test` against Pigeonhole's
`sieve-test` (Debian's dovecot-sieve) on a table of script x message
cases. Both run every case; their actions are brought to one canonical
form (sorted lines: `store MAILBOX [flags=...] [create]`, `redirect ADDR`,
`discard`, `reject REASON`, `vacation ...`, `error` for a runtime error
(then `store INBOX`: the message is kept), `compile-error LINE`).

Every case states the RFC answer. pochta must give it; Pigeonhole must
give it too, except in the cases marked `pigeonhole=`, where the RFCs
leave room (or Pigeonhole lacks the extension): there the reason is given
and Pigeonhole's own answer is asserted, so a change on either side shows up.
"""

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import pochta_harness as h

SIEVE_TEST = shutil.which("sieve-test") or "/usr/bin/sieve-test"
SENDER = "sender@remote.example"
RECIPIENT = "bob@example.test"

MESSAGES = {
    "plain": (
        "Return-Path: <sender@remote.example>\r\n"
        "From: \"Alice Sender\" <alice+news@Remote.Example>\r\n"
        "To: bob@example.test, \"Carol\" <carol@example.test>\r\n"
        "Cc: dave+work@example.test\r\n"
        "Subject: Hello World meeting\r\n"
        "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
        "Message-ID: <abc123@remote.example>\r\n"
        "X-Spam-Score: 7\r\n"
        "X-Virus-Score: 1\r\n"
        "X-Priority: 3\r\n"
        "X-Count: 10\r\n"
        "X-Count: 2\r\n"
        "List-Id: <users.lists.example>\r\n"
        "Received: from a by b; Tue, 1 Jul 2003 10:52:37 +0200\r\n"
        "Received: from c by d; Tue, 1 Jul 2003 10:50:00 +0200\r\n"
        "\r\n"
        "Hello there,\r\n"
        "this is the body with a Secret word.\r\n"
    ),
    "mime": (
        "From: =?utf-8?q?J=C3=BCrgen?= <juergen@koeln.example>\r\n"
        "To: undisclosed-recipients:;\r\n"
        "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n"
        "Date: Sun, 31 Dec 2023 23:30:00 -0100\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
        "\r\n"
        "preamble\r\n"
        "--outer\r\n"
        "Content-Type: multipart/alternative; boundary=\"inner\"\r\n"
        "\r\n"
        "--inner\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "R3LDvMOfZSBhdXMgS8O2bG4sIHRoZSBjYXRoZWRyYWwu\r\n"
        "--inner\r\n"
        "Content-Type: text/html; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "<p><b>Bold</b> offer for K=F6ln</p>\r\n"
        "--inner--\r\n"
        "--outer\r\n"
        "Content-Type: application/pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "JVBERi0xLjQK\r\n"
        "--outer--\r\n"
    ),
    "bare": "From: someone@bare.example\r\n\r\nshort\r\n",
}

INCLUDES = {
    "sub": 'require "fileinto";\r\nfileinto "FromSub";\r\n',
    "globalx": 'require ["include", "variables", "fileinto"];\r\nglobal "x";\r\nfileinto "g-${x}";\r\n',
    "returns": 'require ["include", "fileinto"];\r\nreturn;\r\nfileinto "NeverHere";\r\n',
    "stops": 'stop;\r\n',
    "loop_a": 'require "include";\r\ninclude "loop_b";\r\n',
    "loop_b": 'require "include";\r\ninclude "loop_a";\r\n',
}


@dataclass
class Case:
    cid: str
    script: str
    expect: list                  # canonical actions (sorted when compared)
    msg: str = "plain"
    sender: str = SENDER
    recipient: str = RECIPIENT
    pigeonhole: list = None       # Pigeonhole's answer where the RFCs leave room
    why: str = ""
    options: list = field(default_factory=list)   # pochta-only context (--mailbox ...)


INBOX = "store INBOX"
ERROR = ["error", INBOX]


def C(cid, script, expect, **kw):
    if isinstance(expect, str):
        expect = [expect]
    return Case(cid, script, expect, **kw)


CASES = [
    # --- RFC 5228: control and the base actions ---------------------------
    C("empty", "", INBOX),
    C("keep", "keep;", INBOX),
    C("discard", "discard;", "discard"),
    C("stop-before-fileinto", 'require "fileinto"; stop; fileinto "X";', INBOX),
    C("fileinto", 'require "fileinto"; fileinto "Work";', "store Work"),
    C("fileinto-twice", 'require "fileinto"; fileinto "Work"; fileinto "Work";', "store Work"),
    C("fileinto-inbox", 'require "fileinto"; fileinto "INBOX";', INBOX),
    C("keep-and-fileinto", 'require "fileinto"; keep; fileinto "A";', [INBOX, "store A"]),
    C("redirect", 'redirect "fwd@elsewhere.example";', "redirect fwd@elsewhere.example"),
    C("redirect-twice", 'redirect "fwd@elsewhere.example"; redirect "fwd@elsewhere.example";',
      "redirect fwd@elsewhere.example"),
    C("redirect-two", 'redirect "a@elsewhere.example"; redirect "b@elsewhere.example";',
      ["redirect a@elsewhere.example", "redirect b@elsewhere.example"]),
    C("redirect-copy", 'require "copy"; redirect :copy "fwd@elsewhere.example";',
      ["redirect fwd@elsewhere.example", INBOX]),
    C("fileinto-copy", 'require ["fileinto", "copy"]; fileinto :copy "A";', ["store A", INBOX]),
    C("discard-then-keep", "discard; keep;", ["discard", INBOX]),
    C("if-true", 'require "fileinto"; if true { fileinto "T"; }', "store T"),
    C("if-false", 'require "fileinto"; if false { fileinto "T"; }', INBOX),
    C("not-false", 'require "fileinto"; if not false { fileinto "T"; }', "store T"),
    C("allof-true", 'require "fileinto"; if allof(true, true) { fileinto "T"; }', "store T"),
    C("allof-false", 'require "fileinto"; if allof(true, false) { fileinto "T"; }', INBOX),
    C("anyof-true", 'require "fileinto"; if anyof(false, true) { fileinto "T"; }', "store T"),
    C("anyof-false", 'require "fileinto"; if anyof(false, false) { fileinto "T"; }', INBOX),
    C("elsif", 'require "fileinto"; if false { fileinto "A"; } elsif true { fileinto "B"; } else { fileinto "C"; }',
      "store B"),
    C("else", 'require "fileinto"; if false { fileinto "A"; } elsif false { fileinto "B"; } else { fileinto "C"; }',
      "store C"),
    C("first-branch-only", 'require "fileinto"; if true { fileinto "A"; } elsif true { fileinto "B"; }', "store A"),
    C("nested-if", 'require "fileinto"; if true { if true { if false { fileinto "X"; } else { fileinto "Deep"; } } }',
      "store Deep"),
    C("comments", '# hash\r\nrequire "fileinto"; /* bracket\r\n comment */ fileinto "Commented";', "store Commented"),
    C("multiline-string", 'require "fileinto";\r\nfileinto text:\r\nMulti\r\n.\r\n;', "store Multi\r\n"),
    C("stop-in-block", 'require "fileinto"; if true { fileinto "A"; stop; } fileinto "B";', "store A"),
    # --- header test ---------------------------------------------------------
    C("header-is", 'require "fileinto"; if header :is "subject" "hello world MEETING" { fileinto "Y"; }', "store Y"),
    C("header-is-octet", 'require "fileinto"; if header :is :comparator "i;octet" "subject" "hello world meeting" '
      '{ fileinto "Y"; }', INBOX),
    C("header-contains", 'require "fileinto"; if header :contains "Subject" "world" { fileinto "Y"; }', "store Y"),
    C("header-contains-list", 'require "fileinto"; if header :contains ["to", "cc"] ["nobody", "dave"] '
      '{ fileinto "Y"; }', "store Y"),
    C("header-matches-star", 'require "fileinto"; if header :matches "subject" "Hello*" { fileinto "Y"; }', "store Y"),
    C("header-matches-qmark", 'require "fileinto"; if header :matches "subject" "?ello*meeting" { fileinto "Y"; }',
      "store Y"),
    C("header-matches-anchored", 'require "fileinto"; if header :matches "subject" "World*" { fileinto "Y"; }', INBOX),
    C("header-matches-escape", 'require "fileinto"; if header :matches "subject" "Hello\\\\*" { fileinto "Y"; }',
      INBOX),
    C("header-missing", 'require "fileinto"; if header :contains "x-nothing" "" { fileinto "Y"; }', INBOX),
    C("header-empty-key", 'require "fileinto"; if header :contains "subject" "" { fileinto "Y"; }', "store Y"),
    C("header-encoded-word", 'require "fileinto"; if header :contains "subject" "Grüße aus Köln" { fileinto "Y"; }',
      "store Y", msg="mime"),
    C("header-decoded-from", 'require "fileinto"; if header :contains "from" "Jürgen" { fileinto "Y"; }',
      "store Y", msg="mime"),
    C("header-second-field", 'require "fileinto"; if header :is "x-count" "2" { fileinto "Y"; }', "store Y"),
    C("header-case-name", 'require "fileinto"; if header :is "X-PRIORITY" "3" { fileinto "Y"; }', "store Y"),
    C("exists-one", 'require "fileinto"; if exists "subject" { fileinto "Y"; }', "store Y"),
    C("exists-all", 'require "fileinto"; if exists ["subject", "x-none"] { fileinto "Y"; }', INBOX),
    C("exists-bare", 'require "fileinto"; if not exists "subject" { fileinto "NoSubject"; }', "store NoSubject",
      msg="bare"),
    C("size-over", 'require "fileinto"; if size :over 100 { fileinto "Big"; }', "store Big"),
    C("size-under", 'require "fileinto"; if size :under 10 { fileinto "Small"; }', INBOX),
    C("size-over-k", 'require "fileinto"; if size :over 1K { fileinto "Big"; }', INBOX),
    C("size-under-m", 'require "fileinto"; if size :under 1M { fileinto "Small"; }', "store Small"),
    # --- address test and subaddress ----------------------------------------
    C("address-all", 'require "fileinto"; if address :is "from" "alice+news@remote.example" { fileinto "Y"; }',
      "store Y"),
    C("address-localpart", 'require "fileinto"; if address :localpart :is "from" "alice+news" { fileinto "Y"; }',
      "store Y"),
    C("address-domain", 'require "fileinto"; if address :domain :is "from" "REMOTE.example" { fileinto "Y"; }',
      "store Y"),
    C("address-user", 'require ["fileinto", "subaddress"]; if address :user :is "from" "alice" { fileinto "Y"; }',
      "store Y"),
    C("address-detail", 'require ["fileinto", "subaddress"]; if address :detail :is "from" "news" { fileinto "Y"; }',
      "store Y"),
    C("address-detail-none", 'require ["fileinto", "subaddress"]; if address :detail :matches "to" "*" '
      '{ fileinto "Y"; }', INBOX),
    C("address-contains", 'require "fileinto"; if address :contains "to" "carol" { fileinto "Y"; }', "store Y"),
    C("address-no-display-name", 'require "fileinto"; if address :contains "from" "Sender" { fileinto "Y"; }', INBOX),
    C("address-matches-domain", 'require "fileinto"; if address :domain :matches "cc" "*.test" { fileinto "Y"; }',
      "store Y"),
    C("address-count", 'require ["fileinto", "relational", "comparator-i;ascii-numeric"]; '
      'if address :count "eq" :comparator "i;ascii-numeric" "to" "2" { fileinto "Y"; }', "store Y"),
    C("address-count-all", 'require ["fileinto", "relational", "comparator-i;ascii-numeric"]; '
      'if address :count "eq" :comparator "i;ascii-numeric" ["to", "cc"] "3" { fileinto "Y"; }', "store Y"),
    C("address-group-empty", 'require ["fileinto", "relational", "comparator-i;ascii-numeric"]; '
      'if address :count "eq" :comparator "i;ascii-numeric" "to" "0" { fileinto "Y"; }', "store Y", msg="mime",
      pigeonhole=[INBOX],
      why="an empty group holds no address (RFC 5322 3.4); Pigeonhole takes the field's whole text as one, "
          "which RFC 5228 2.7.4 allows for what an implementation cannot parse"),
    C("address-two-headers", 'require "fileinto"; if address :is ["from", "cc"] "dave+work@example.test" '
      '{ fileinto "Y"; }', "store Y"),
    # --- envelope -------------------------------------------------------------
    C("envelope-from", 'require ["fileinto", "envelope"]; if envelope :is "from" "sender@remote.example" '
      '{ fileinto "Y"; }', "store Y"),
    C("envelope-to-domain", 'require ["fileinto", "envelope"]; if envelope :domain :is "to" "example.test" '
      '{ fileinto "Y"; }', "store Y"),
    C("envelope-to-user", 'require ["fileinto", "envelope", "subaddress"]; if envelope :user :is "to" "bob" '
      '{ fileinto "Y"; }', "store Y", recipient="bob+tag@example.test"),
    C("envelope-to-detail", 'require ["fileinto", "envelope", "subaddress"]; if envelope :detail "to" "tag" '
      '{ fileinto "Tagged"; }', "store Tagged", recipient="bob+tag@example.test"),
    C("envelope-detail-variable", 'require ["fileinto", "envelope", "subaddress", "variables"]; '
      'if envelope :detail :matches "to" "*" { fileinto "lists.${1}"; }', "store lists.tag",
      recipient="bob+tag@example.test"),
    C("envelope-from-mismatch", 'require ["fileinto", "envelope"]; if envelope :is "from" "alice@remote.example" '
      '{ fileinto "Y"; }', INBOX),
    C("envelope-list", 'require ["fileinto", "envelope"]; if envelope :contains ["from", "to"] "bob" '
      '{ fileinto "Y"; }', "store Y"),
    # --- match types, comparators, relational ---------------------------------
    C("value-gt-casemap", 'require ["fileinto", "relational"]; if header :value "gt" "subject" "hello" '
      '{ fileinto "Y"; }', "store Y"),
    C("value-lt-casemap", 'require ["fileinto", "relational"]; if header :value "lt" "subject" "a" '
      '{ fileinto "Y"; }', INBOX),
    C("value-numeric-gt", 'require ["fileinto", "relational", "comparator-i;ascii-numeric"]; '
      'if header :value "gt" :comparator "i;ascii-numeric" "x-priority" "2" { fileinto "Y"; }', "store Y"),
    C("value-numeric-vs-string", 'require ["fileinto", "relational"]; '
      'if header :value "gt" "x-priority" "20" { fileinto "Y"; }', "store Y"),
    C("value-numeric-lt-any", 'require ["fileinto", "relational", "comparator-i;ascii-numeric"]; '
      'if header :value "lt" :comparator "i;ascii-numeric" "x-count" "5" { fileinto "Y"; }', "store Y"),
    C("value-ne", 'require ["fileinto", "relational"]; if header :value "ne" "x-priority" "3" { fileinto "Y"; }',
      INBOX),
    C("value-ge-le", 'require ["fileinto", "relational"]; if allof(header :value "ge" "x-priority" "3", '
      'header :value "le" "x-priority" "3") { fileinto "Y"; }', "store Y"),
    C("count-received", 'require ["fileinto", "relational", "comparator-i;ascii-numeric"]; '
      'if header :count "eq" :comparator "i;ascii-numeric" "received" "2" { fileinto "Y"; }', "store Y"),
    C("count-missing-zero", 'require ["fileinto", "relational", "comparator-i;ascii-numeric"]; '
      'if header :count "eq" :comparator "i;ascii-numeric" "x-none" "0" { fileinto "Y"; }', "store Y"),
    C("count-two-names", 'require ["fileinto", "relational", "comparator-i;ascii-numeric"]; '
      'if header :count "ge" :comparator "i;ascii-numeric" ["received", "x-count"] "4" { fileinto "Y"; }', "store Y"),
    C("numeric-is-leading-zero", 'require ["fileinto", "comparator-i;ascii-numeric"]; '
      'if header :is :comparator "i;ascii-numeric" "x-priority" "003" { fileinto "Y"; }', "store Y"),
    C("numeric-non-digits-equal", 'require ["fileinto", "variables", "comparator-i;ascii-numeric"]; '
      'if string :is :comparator "i;ascii-numeric" "abc" "xyz" { fileinto "Y"; }', "store Y"),
    C("numeric-digits-vs-text", 'require ["fileinto", "variables", "comparator-i;ascii-numeric"]; '
      'if string :is :comparator "i;ascii-numeric" "12" "abc" { fileinto "Y"; }', INBOX),
    C("numeric-prefix", 'require ["fileinto", "variables", "comparator-i;ascii-numeric"]; '
      'if string :is :comparator "i;ascii-numeric" "42abc" "42" { fileinto "Y"; }', "store Y"),
    C("octet-contains", 'require "fileinto"; if header :contains :comparator "i;octet" "subject" "World" '
      '{ fileinto "Y"; }', "store Y"),
    C("octet-contains-case", 'require "fileinto"; if header :contains :comparator "i;octet" "subject" "world" '
      '{ fileinto "Y"; }', INBOX),
    C("casemap-explicit", 'require "fileinto"; if header :is :comparator "i;ascii-casemap" "subject" '
      '"HELLO WORLD MEETING" { fileinto "Y"; }', "store Y"),
    # --- body ---------------------------------------------------------------------
    C("body-contains", 'require ["fileinto", "body"]; if body :contains "secret" { fileinto "Y"; }', "store Y"),
    C("body-contains-miss", 'require ["fileinto", "body"]; if body :contains "nothing here" { fileinto "Y"; }', INBOX),
    C("body-raw", 'require ["fileinto", "body"]; if body :raw :contains "Secret word" { fileinto "Y"; }', "store Y"),
    C("body-matches", 'require ["fileinto", "body"]; if body :matches "*Secret*" { fileinto "Y"; }', "store Y"),
    C("body-base64-text", 'require ["fileinto", "body"]; if body :text :contains "Grüße aus Köln" '
      '{ fileinto "Y"; }', "store Y", msg="mime"),
    C("body-qp-latin1", 'require ["fileinto", "body"]; if body :content "text/html" :contains "Köln" '
      '{ fileinto "Y"; }', "store Y", msg="mime"),
    C("body-content-html", 'require ["fileinto", "body"]; if body :content "text/html" :contains "offer" '
      '{ fileinto "Y"; }', "store Y", msg="mime"),
    C("body-content-plain-only", 'require ["fileinto", "body"]; if body :content "text/plain" :contains "offer" '
      '{ fileinto "Y"; }', INBOX, msg="mime"),
    C("body-content-text", 'require ["fileinto", "body"]; if body :content "text" :contains "cathedral" '
      '{ fileinto "Y"; }', "store Y", msg="mime"),
    C("body-raw-encoded", 'require ["fileinto", "body"]; if body :raw :contains "Content-Transfer-Encoding: base64" '
      '{ fileinto "Y"; }', "store Y", msg="mime"),
    C("body-raw-not-decoded", 'require ["fileinto", "body"]; if body :raw :contains "cathedral" '
      '{ fileinto "Y"; }', INBOX, msg="mime"),
    C("body-content-pdf", 'require ["fileinto", "body"]; if body :content "application/pdf" :contains "%PDF" '
      '{ fileinto "Y"; }', "store Y", msg="mime"),
    C("body-html-text", 'require ["fileinto", "body"]; if body :text :contains "offer for" { fileinto "Y"; }',
      "store Y", msg="mime"),
    C("body-regex", 'require ["fileinto", "body", "regex"]; if body :regex "S[a-z]+t word" { fileinto "Y"; }',
      "store Y"),
    # --- variables ------------------------------------------------------------------
    C("set-and-use", 'require ["fileinto", "variables"]; set "box" "Archive"; fileinto "${box}";', "store Archive"),
    C("set-lower", 'require ["fileinto", "variables"]; set :lower "v" "MiXeD"; fileinto "${v}";', "store mixed"),
    C("set-upper", 'require ["fileinto", "variables"]; set :upper "v" "MiXeD"; fileinto "${v}";', "store MIXED"),
    C("set-upperfirst", 'require ["fileinto", "variables"]; set :upperfirst "v" "mixed"; fileinto "${v}";',
      "store Mixed"),
    C("set-lowerfirst-upper", 'require ["fileinto", "variables"]; set :upper :lowerfirst "v" "mixed"; '
      'fileinto "${v}";', "store mIXED"),
    C("set-length", 'require ["fileinto", "variables"]; set :length "v" "héllo"; fileinto "${v}";', "store 5"),
    C("set-quotewildcard", 'require ["fileinto", "variables"]; set :quotewildcard "v" "a*b?c"; fileinto "${v}";',
      "store a\\*b\\?c"),
    C("set-empty-unknown", 'require ["fileinto", "variables"]; fileinto "x${unknown}y";', "store xy"),
    C("set-names-caseless", 'require ["fileinto", "variables"]; set "Name" "v1"; fileinto "${NAME}";', "store v1"),
    C("set-self-append", 'require ["fileinto", "variables"]; set "a" "x"; set "a" "${a}${a}"; fileinto "${a}";',
      "store xx"),
    C("set-bad-reference", 'require ["fileinto", "variables"]; set "a" "${bad-name}"; fileinto "${a}";',
      "store ${bad-name}"),
    C("set-no-recursion", 'require ["fileinto", "variables"]; set "a" "${b}"; set "b" "B"; set "c" "${a}"; '
      'fileinto "z${c}";', "store z"),
    C("match-vars", 'require ["fileinto", "variables"]; if header :matches "subject" "* World *" '
      '{ fileinto "${1}-${2}"; }', "store Hello-meeting"),
    C("match-var-zero", 'require ["fileinto", "variables"]; if header :matches "subject" "Hello*" '
      '{ fileinto "${0}"; }', "store Hello World meeting"),
    C("match-var-qmark", 'require ["fileinto", "variables"]; if header :matches "subject" "?ello*" '
      '{ fileinto "${1}${2}"; }', "store H World meeting"),
    C("match-vars-shortest", 'require ["fileinto", "variables"]; set "s" "[acme-users] [fwd] version 1.0"; '
      'if string :matches "${s}" "[*] *" { fileinto "${1}|${2}"; }', "store acme-users|[fwd] version 1.0"),
    C("match-vars-kept-on-failure", 'require ["fileinto", "variables"]; '
      'if header :matches "subject" "Hello *" { } if header :matches "subject" "Nope*" { } fileinto "${1}";',
      "store World meeting"),
    C("match-var-unset", 'require ["fileinto", "variables"]; if header :matches "subject" "*" '
      '{ fileinto "a${5}b"; }', "store ab"),
    C("string-is", 'require ["fileinto", "variables"]; set "v" "abc"; if string :is "${v}" "ABC" { fileinto "Y"; }',
      "store Y", pigeonhole=[INBOX],
      why="RFC 5228 2.7.3 makes i;ascii-casemap the default comparator of every test; Pigeonhole 0.5.19 "
          "(Debian 12) compares the string test with i;octet, fixed upstream since (commit 745eb64d)"),
    C("string-list", 'require ["fileinto", "variables"]; if string :contains ["one", "two"] "wo" { fileinto "Y"; }',
      "store Y"),
    C("string-count-empty", 'require ["fileinto", "variables", "relational", "comparator-i;ascii-numeric"]; '
      'if string :count "eq" :comparator "i;ascii-numeric" ["a", "", "b"] "2" { fileinto "Y"; }', "store Y"),
    C("address-into-var", 'require ["fileinto", "variables"]; if address :localpart :matches "from" "*" '
      '{ set :lower "who" "${1}"; fileinto "from.${who}"; }', "store from.alice+news"),
    # --- encoded-character ------------------------------------------------------------
    C("encoded-hex", 'require ["fileinto", "encoded-character"]; fileinto "${hex:48 65 6C 6C 6F}";', "store Hello"),
    C("encoded-unicode", 'require ["fileinto", "encoded-character"]; fileinto "${unicode:48}${UNICODE:000069}";',
      "store Hi"),
    C("encoded-malformed", 'require ["fileinto", "encoded-character"]; fileinto "${hex:4G}";', "store ${hex:4G}"),
    C("encoded-not-required", 'require "fileinto"; fileinto "${hex:41}";', "store ${hex:41}"),
    C("encoded-utf8", 'require ["fileinto", "encoded-character"]; fileinto "K${unicode:f6}ln";', "store Köln"),
    # --- imap4flags --------------------------------------------------------------------
    C("setflag-implicit", 'require "imap4flags"; setflag "\\\\Seen";', "store INBOX flags=\\seen"),
    C("addflag-two", 'require "imap4flags"; addflag "\\\\Seen"; addflag ["$Label1", "\\\\Flagged"];',
      "store INBOX flags=$label1,\\flagged,\\seen"),
    C("removeflag", 'require "imap4flags"; addflag "\\\\Seen \\\\Flagged"; removeflag "\\\\seen";',
      "store INBOX flags=\\flagged"),
    C("removeflag-all", 'require "imap4flags"; setflag "\\\\Seen"; removeflag "\\\\Seen";', INBOX),
    C("fileinto-flags", 'require ["fileinto", "imap4flags"]; fileinto :flags "\\\\Flagged" "A";',
      "store A flags=\\flagged"),
    C("fileinto-internal-flags", 'require ["fileinto", "imap4flags"]; addflag "$Label1"; fileinto "A";',
      "store A flags=$label1"),
    C("flags-at-action-time", 'require ["fileinto", "imap4flags"]; addflag "a"; fileinto "A"; addflag "b"; '
      'fileinto "B";', ["store A flags=a", "store B flags=a,b"]),
    C("keep-flags", 'require "imap4flags"; keep :flags "\\\\Deleted";', "store INBOX flags=\\deleted"),
    C("hasflag", 'require ["fileinto", "imap4flags"]; addflag "\\\\Seen"; if hasflag :is "\\\\seen" '
      '{ fileinto "Y"; }', "store Y flags=\\seen"),
    C("hasflag-miss", 'require ["fileinto", "imap4flags"]; if hasflag :is "\\\\Seen" { fileinto "Y"; }', INBOX),
    C("hasflag-count", 'require ["fileinto", "imap4flags", "relational", "comparator-i;ascii-numeric"]; '
      'addflag "a b c"; if hasflag :count "eq" :comparator "i;ascii-numeric" "3" { fileinto "Y"; }',
      "store Y flags=a,b,c"),
    C("flag-variable", 'require ["fileinto", "imap4flags", "variables"]; setflag "f" "\\\\Answered"; '
      'if hasflag "f" "\\\\answered" { fileinto :flags "${f}" "Y"; }', "store Y flags=\\answered"),
    C("flags-duplicate-words", 'require "imap4flags"; addflag "x X x";', "store INBOX flags=x"),
    # --- date and index ------------------------------------------------------------------
    C("date-year", 'require ["fileinto", "date"]; if date :is "date" "year" "2003" { fileinto "Y"; }', "store Y"),
    C("date-originalzone-hour", 'require ["fileinto", "date"]; if date :originalzone :is "date" "hour" "10" '
      '{ fileinto "Y"; }', "store Y"),
    C("date-zone-utc-hour", 'require ["fileinto", "date"]; if date :zone "+0000" :is "date" "hour" "08" '
      '{ fileinto "Y"; }', "store Y"),
    C("date-zone-west", 'require ["fileinto", "date"]; if date :zone "-1000" :is "date" "date" "2003-06-30" '
      '{ fileinto "Y"; }', "store Y"),
    C("date-weekday", 'require ["fileinto", "date"]; if date :originalzone :is "date" "weekday" "2" '
      '{ fileinto "Y"; }', "store Y"),
    C("date-zone-part", 'require ["fileinto", "date"]; if date :originalzone :is "date" "zone" "+0200" '
      '{ fileinto "Y"; }', "store Y"),
    C("date-time", 'require ["fileinto", "date"]; if date :originalzone :is "date" "time" "10:52:37" '
      '{ fileinto "Y"; }', "store Y"),
    C("date-julian", 'require ["fileinto", "date"]; if date :zone "+0000" :is "date" "julian" "52821" '
      '{ fileinto "Y"; }', "store Y"),
    C("date-iso8601", 'require ["fileinto", "date", "variables"]; if date :originalzone :matches "date" "iso8601" "*" '
      '{ fileinto "${1}"; }', "store 2003-07-01T10:52:37+02:00"),
    C("date-std11", 'require ["fileinto", "date", "variables"]; if date :originalzone :matches "date" "std11" "*" '
      '{ fileinto "${1}"; }', "store Tue, 01 Jul 2003 10:52:37 +0200"),
    C("date-month-day", 'require ["fileinto", "date"]; if allof(date :originalzone "date" "month" "07", '
      'date :originalzone "date" "day" "01") { fileinto "Y"; }', "store Y"),
    C("date-year-boundary", 'require ["fileinto", "date"]; if date :zone "+0000" :is "date" "year" "2024" '
      '{ fileinto "Y"; }', "store Y", msg="mime"),
    C("date-value", 'require ["fileinto", "date", "relational", "comparator-i;ascii-numeric"]; '
      'if date :value "ge" :comparator "i;ascii-numeric" "date" "year" "2000" { fileinto "Y"; }', "store Y"),
    C("date-missing", 'require ["fileinto", "date"]; if date :matches "date" "year" "*" { fileinto "Y"; }', INBOX,
      msg="bare"),
    C("date-received-index", 'require ["fileinto", "date", "index"]; '
      'if date :index 2 :originalzone :is "received" "minute" "50" { fileinto "Y"; }', "store Y",
      pigeonhole=[INBOX],
      why="RFC 5260 6 gives the date test :index; Pigeonhole 0.5.19 reads the first field whatever the index"),
    C("currentdate-year", 'require ["fileinto", "date", "relational", "comparator-i;ascii-numeric"]; '
      'if currentdate :value "ge" :comparator "i;ascii-numeric" "year" "2020" { fileinto "Y"; }', "store Y"),
    C("currentdate-zone", 'require ["fileinto", "date"]; if currentdate :zone "+0300" :is "zone" "+0300" '
      '{ fileinto "Y"; }', "store Y"),
    C("index-first", 'require ["fileinto", "index"]; if header :index 1 :contains "received" "from a" '
      '{ fileinto "Y"; }', "store Y"),
    C("index-second", 'require ["fileinto", "index"]; if header :index 2 :contains "received" "from a" '
      '{ fileinto "Y"; }', INBOX),
    C("index-last", 'require ["fileinto", "index"]; if header :index 1 :last :contains "received" "from c" '
      '{ fileinto "Y"; }', "store Y"),
    C("index-beyond", 'require ["fileinto", "index"]; if header :index 3 :contains "received" "" '
      '{ fileinto "Y"; }', INBOX),
    C("index-address", 'require ["fileinto", "index"]; if address :index 1 :is "to" "carol@example.test" '
      '{ fileinto "Y"; }', "store Y"),
    # --- editheader ---------------------------------------------------------------------
    C("addheader-visible", 'require ["fileinto", "editheader"]; addheader "X-Sieve" "yes"; '
      'if header :is "x-sieve" "yes" { fileinto "Y"; }', "store Y"),
    C("addheader-first", 'require ["fileinto", "editheader", "index"]; addheader "X-Count" "0"; '
      'if header :index 1 :is "x-count" "0" { fileinto "Y"; }', "store Y"),
    C("addheader-last", 'require ["fileinto", "editheader", "index"]; addheader :last "X-Count" "99"; '
      'if header :index 1 :last :is "x-count" "99" { fileinto "Y"; }', "store Y"),
    C("deleteheader", 'require ["fileinto", "editheader"]; deleteheader "x-priority"; '
      'if not exists "x-priority" { fileinto "Y"; }', "store Y"),
    C("deleteheader-value", 'require ["fileinto", "editheader", "relational", "comparator-i;ascii-numeric"]; '
      'deleteheader :contains "x-count" "1"; if allof(header :is "x-count" "2", '
      'header :count "eq" :comparator "i;ascii-numeric" "x-count" "1") { fileinto "Y"; }', "store Y"),
    C("deleteheader-index", 'require ["fileinto", "editheader"]; deleteheader :index 1 "x-count"; '
      'if header :is "x-count" "2" { if not header :is "x-count" "10" { fileinto "Y"; } }', "store Y"),
    C("deleteheader-index-last", 'require ["fileinto", "editheader"]; deleteheader :index 1 :last "x-count"; '
      'if not header :is "x-count" "2" { fileinto "Y"; }', "store Y"),
    C("deleteheader-received-protected", 'require ["fileinto", "editheader"]; deleteheader "received"; '
      'if exists "received" { fileinto "Kept"; }', "store Kept"),
    C("deleteheader-added", 'require ["fileinto", "editheader"]; addheader "X-New" "1"; deleteheader "X-New"; '
      'if not exists "x-new" { fileinto "Y"; }', "store Y"),
    # --- mailbox ----------------------------------------------------------------------
    C("fileinto-create", 'require ["fileinto", "mailbox"]; fileinto :create "New";', "store New create"),
    C("mailboxexists-no", 'require ["fileinto", "mailbox"]; if mailboxexists "Nowhere" { fileinto "Y"; }', INBOX),
    # --- include -----------------------------------------------------------------------
    C("include", 'require "include"; include :personal "sub";', "store FromSub"),
    C("include-then-more", 'require ["include", "fileinto"]; include "sub"; fileinto "After";',
      ["store FromSub", "store After"]),
    C("include-optional-missing", 'require "include"; include :optional "nope";', INBOX),
    C("include-global-variable", 'require ["include", "variables"]; global "x"; set "x" "v"; include "globalx";',
      "store g-v"),
    C("include-local-variable", 'require ["include", "variables"]; set "x" "v"; include "globalx";', "store g-"),
    C("include-return", 'require ["include", "fileinto"]; include "returns"; fileinto "Back";', "store Back"),
    C("include-stop", 'require ["include", "fileinto"]; include "stops"; fileinto "NotReached";', INBOX),
    C("include-once", 'require "include"; include :once "sub"; include :once "sub";', "store FromSub"),
    C("include-missing", 'require "include"; include "nope";', ERROR,
      pigeonhole=["compile-error 1"],
      why="RFC 6609 3.2 makes a missing script an error without saying when; Pigeonhole resolves includes "
          "when compiling, pochta when running (scripts may be uploaded in any order)"),
    C("include-loop", 'require "include"; include "loop_a";', ERROR,
      pigeonhole=["compile-error 1"],
      why="RFC 6609 3.2 forbids recursion without saying when it is found; Pigeonhole finds it when "
          "compiling, pochta when running (a budget error, so the message is kept)"),
    # --- duplicate, environment, ihave -------------------------------------------------
    C("duplicate-first", 'require ["fileinto", "duplicate"]; if duplicate { fileinto "Dup"; }', INBOX),
    C("duplicate-header", 'require ["fileinto", "duplicate"]; if duplicate :header "subject" { fileinto "Dup"; }',
      INBOX),
    C("environment-unknown", 'require ["fileinto", "environment"]; if environment :contains "x-nothing" "" '
      '{ fileinto "Y"; }', INBOX),
    C("environment-name", 'require ["fileinto", "environment"]; if environment :contains "name" "" '
      '{ fileinto "Y"; }', "store Y", options=["--env", "name=pochta"]),
    C("ihave-known", 'require ["fileinto", "ihave"]; if ihave "fileinto" { fileinto "Y"; }', "store Y"),
    C("ihave-unknown-block", 'require ["fileinto", "ihave"]; if ihave "x-frobnicate" { frobnicate :hard 7; } '
      'else { fileinto "Without"; }', "store Without"),
    C("ihave-guarded-extension", 'require "ihave"; if ihave "fileinto" { fileinto "Guarded"; }', "store Guarded"),
    C("ihave-error", 'require "ihave"; error "custom failure";', ERROR),
    # --- spamtest, virustest --------------------------------------------------------------
    C("spamtest-ge", 'require ["fileinto", "spamtest", "relational", "comparator-i;ascii-numeric"]; '
      'if spamtest :value "ge" :comparator "i;ascii-numeric" "7" { fileinto "Junk"; }', "store Junk"),
    C("spamtest-is", 'require ["fileinto", "spamtest"]; if spamtest :is "7" { fileinto "Junk"; }', "store Junk"),
    C("spamtest-untested", 'require ["fileinto", "spamtest"]; if spamtest :is "0" { fileinto "Untested"; }',
      "store Untested", msg="bare"),
    C("spamtest-percent", 'require ["fileinto", "spamtestplus", "relational", "comparator-i;ascii-numeric"]; '
      'if spamtest :percent :value "eq" :comparator "i;ascii-numeric" "70" { fileinto "Y"; }', "store Y"),
    C("virustest-clean", 'require ["fileinto", "virustest", "relational", "comparator-i;ascii-numeric"]; '
      'if virustest :value "eq" :comparator "i;ascii-numeric" "1" { fileinto "Clean"; }', "store Clean"),
    C("virustest-untested", 'require ["fileinto", "virustest"]; if virustest :is "0" { fileinto "Untested"; }',
      "store Untested", msg="bare"),
    # --- regex ---------------------------------------------------------------------------------
    C("regex-anchored", 'require ["fileinto", "regex"]; if header :regex "subject" "^hello.*meeting$" '
      '{ fileinto "Y"; }', "store Y"),
    C("regex-octet", 'require ["fileinto", "regex"]; if header :regex :comparator "i;octet" "subject" "^hello" '
      '{ fileinto "Y"; }', INBOX),
    C("regex-capture", 'require ["fileinto", "regex", "variables"]; if header :regex "subject" "w(or)ld" '
      '{ fileinto "${1}"; }', "store or"),
    C("regex-address", 'require ["fileinto", "regex"]; if address :regex :domain "from" "remote\\\\.example$" '
      '{ fileinto "Y"; }', "store Y"),
    C("regex-alternation", 'require ["fileinto", "regex", "variables"]; '
      'if string :regex "order 66 shipped" "(order|invoice) ([0-9]+)" { fileinto "${1}-${2}"; }',
      "store order-66"),
    C("regex-no-match", 'require ["fileinto", "regex"]; if header :regex "subject" "^[0-9]+$" { fileinto "Y"; }',
      INBOX),
    C("regex-list", 'require ["fileinto", "regex"]; if header :regex ["to", "cc"] ["^x", "dave\\\\+work"] '
      '{ fileinto "Y"; }', "store Y"),
    C("regex-variable-key", 'require ["fileinto", "regex", "variables"]; set "p" "W.rld"; '
      'if header :regex "subject" "${p}" { fileinto "Y"; }', "store Y"),
    C("regex-invalid", 'require ["fileinto", "regex"];\r\nif header :regex "subject" "(" { fileinto "Y"; }',
      "compile-error 2"),
    # --- vacation --------------------------------------------------------------------------------
    C("vacation-default", 'require "vacation"; vacation "I am away";',
      ["vacation seconds=604800 subject= from= reason=I am away", INBOX]),
    C("vacation-days", 'require "vacation"; vacation :days 3 :subject "Away" :handle "h1" "text";',
      ["vacation seconds=259200 subject=Away from= handle=h1 reason=text", INBOX]),
    C("vacation-seconds", 'require "vacation-seconds"; vacation :seconds 3600 "brb";',
      ["vacation seconds=3600 subject= from= reason=brb", INBOX]),
    C("vacation-from", 'require "vacation"; vacation :from "me@example.test" :addresses ["bob@example.test"] "r";',
      ["vacation seconds=604800 subject= from=me@example.test reason=r", INBOX]),
    C("vacation-variables", 'require ["vacation", "variables"]; if header :matches "subject" "*" '
      '{ vacation :subject "Re: ${1}" "Away."; }',
      ["vacation seconds=604800 subject=Re: Hello World meeting from= reason=Away.", INBOX]),
    C("vacation-and-fileinto", 'require ["vacation", "fileinto"]; vacation "away"; fileinto "A";',
      ["vacation seconds=604800 subject= from= reason=away", "store A"]),
    C("vacation-twice", 'require "vacation"; vacation "one"; vacation "two";', ERROR),
    C("vacation-reject", 'require ["vacation", "reject"]; vacation "away"; reject "no";', ERROR),
    # --- reject and ereject -----------------------------------------------------------------------
    C("reject", 'require "reject"; reject "go away";', "reject go away"),
    C("reject-multiline", 'require "reject";\r\nreject text:\r\nNot here.\r\n.\r\n;', "reject Not here.\r\n"),
    C("reject-fileinto", 'require ["reject", "fileinto"]; fileinto "x"; reject "no";', ERROR),
    C("reject-keep", 'require "reject"; reject "no"; keep;', ERROR),
    C("reject-redirect", 'require "reject"; reject "no"; redirect "a@elsewhere.example";', ERROR),
    C("reject-twice", 'require "reject"; reject "one"; reject "two";', ERROR),
    C("reject-discard", 'require "reject"; reject "no"; discard;', ["reject no", "discard"]),
    C("ereject", 'require "ereject"; ereject "refused";', "ereject refused",
      pigeonhole=["compile-error 1"],
      why="Pigeonhole 0.5 (Debian 12) has no ereject (RFC 5429 2.1); pochta does"),
    # --- compile errors -------------------------------------------------------------------------------
    C("err-unknown-command", 'require "fileinto";\r\nfrobnicate;', "compile-error 2"),
    C("err-missing-semicolon", 'keep\r\nkeep;', "compile-error 2",
      pigeonhole=["compile-error 1"],
      why="where a syntax error is reported is the implementation's choice: pochta names the token it "
          "could not take, Pigeonhole the command left open"),
    C("err-not-required", 'fileinto "A";', "compile-error 1"),
    C("err-unknown-require", 'require "x-unknown";', "compile-error 1"),
    C("err-elsif-alone", 'require "fileinto";\r\nelsif true { keep; }', "compile-error 2"),
    C("err-match-conflict", 'if header :is :contains "a" "b" { keep; }', "compile-error 1"),
    C("err-unterminated", 'require "fileinto";\r\nfileinto "A;\r\n', "compile-error 2",
      pigeonhole=["compile-error 3"],
      why="where a syntax error is reported is the implementation's choice: pochta names where the open "
          "string starts, Pigeonhole the end of the script"),
    C("err-size-no-tag", 'if size 100 { keep; }', "compile-error 1"),
    C("err-bad-zone", 'require "date";\r\nif date :zone "+2500" "date" "year" "2000" { keep; }', "compile-error 2",
      pigeonhole=[INBOX],
      why="RFC 5260 4.1 defines a zone as +/-hhmm and leaves open when a bad one is found: pochta refuses "
          "a constant one when compiling, Pigeonhole ignores it when running"),
    C("err-bad-date-part", 'require "date";\r\nif date "date" "fortnight" "1" { keep; }', "compile-error 2",
      pigeonhole=[INBOX],
      why="RFC 5260 4.2 lists the date parts and leaves open when an unknown one is found: pochta refuses "
          "a constant one when compiling, Pigeonhole lets the test fail when running"),
    C("err-bad-redirect", 'redirect "not an address";', "compile-error 1"),
    C("err-anyof-empty", 'if anyof() { keep; }', "compile-error 1"),
    C("err-require-late", 'keep;\r\nrequire "fileinto";', "compile-error 2"),
    C("err-numeric-contains", 'require "comparator-i;ascii-numeric";\r\nif header :contains '
      ':comparator "i;ascii-numeric" "a" "1" { keep; }', "compile-error 2"),
    C("err-unknown-comparator", 'if header :is :comparator "i;klingon" "a" "b" { keep; }', "compile-error 1"),
    C("err-test-as-command", 'header "a" "b";', "compile-error 1"),
    C("err-command-as-test", 'if keep { keep; }', "compile-error 1"),
    C("err-string-for-number", 'require "fileinto";\r\n\r\nfileinto 3;', "compile-error 3"),
    C("err-tag-needs-extension", 'require "fileinto";\r\nfileinto :copy "A";', "compile-error 2"),
    C("err-relational-op", 'require "relational";\r\nif header :value "xx" "a" "b" { keep; }', "compile-error 2"),
    C("err-block-missing", 'if true keep;', "compile-error 1"),
    C("err-unicode-surrogate", 'require ["fileinto", "encoded-character"];\r\nfileinto "${unicode:D800}";',
      "compile-error 2"),
]


def canonical_flags(flags):
    return ",".join(sorted(f.lower() for f in flags))


def printable(text):
    """Control characters as '?': Pigeonhole prints them so."""
    return re.sub(r"[\x00-\x1f]", "?", text)


def store_line(mailbox, flags=(), create=False):
    line = f"store {printable(mailbox)}"
    if flags:
        line += " flags=" + canonical_flags(flags)
    if create:
        line += " create"
    return line


QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def unquote(text):
    return re.sub(r"\\x([0-9a-f]{2})|\\(.)", lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), text)


def pochta_actions(line):
    """One `pochta sieve test` line in the canonical form (None: not compared)."""
    word = line.split(" ", 1)[0]
    values = [unquote(v) for v in QUOTED.findall(line)]
    flags = re.search(r" flags=(\S+)$", line)
    flags = flags.group(1).split(",") if flags else []
    if word == "keep":
        return store_line("INBOX", flags)
    if word == "fileinto":
        return store_line(values[0], flags, " create" in line.split('"')[-1])
    if word == "redirect":
        return f"redirect {values[0]}"
    if word in ("reject", "ereject"):
        return f"{word} {printable(values[0])}"
    if word == "discard":
        return "discard"
    if word == "vacation":
        seconds = re.search(r"seconds=(\d+)", line).group(1)
        subject, sender, handle, _addresses, reason = values
        text = f"vacation seconds={seconds} subject={subject} from={sender}"
        if "\x1f" not in handle:
            text += f" handle={handle}"
        return text + f" reason={reason}"
    if word in ("error", "budget"):
        return "error"
    return None   # header and note lines


def run_pochta(config, case, folder):
    script = folder / "script.sieve"
    args = ["sieve", "test", str(script), str(folder / "message.eml"), "--from", case.sender or "<>",
            "--to", case.recipient, "--env", "phase=during", *case.options]
    msg = MESSAGES[case.msg]
    if "X-Spam-Score: " in msg:
        score = float(msg.split("X-Spam-Score: ")[1].split("\r\n")[0]) / 10
        args += ["--spam", str(int(score * 9 + 1.001)), "--spam-percent", str(int(score * 100 + 0.001))]
    if "X-Virus-Score: " in msg:
        score = float(msg.split("X-Virus-Score: ")[1].split("\r\n")[0]) / 5
        args += ["--virus", str(int(score * 4 + 1.001))]
    r = config.cli(*args)
    if r.returncode == 1:
        m = re.search(r"script\.sieve:(\d+):\d+: ", r.stderr.decode())
        assert m, r.stderr.decode()
        return [f"compile-error {m.group(1)}"]
    assert r.returncode == 0, r.stderr.decode()
    out = [pochta_actions(line) for line in r.stdout.decode().splitlines()]
    return sorted(a for a in out if a)


DOVECOT_CONF = """\
base_dir = {base}/run
log_path = /dev/stderr
mail_location = maildir:{base}/mail
plugin {{
  sieve_extensions = +vacation-seconds +editheader +spamtest +spamtestplus +virustest
  sieve_vacation_min_period = 0
  sieve_vacation_max_period = 0
  sieve_spamtest_status_type = score
  sieve_spamtest_status_header = X-Spam-Score
  sieve_spamtest_max_value = 10
  sieve_virustest_status_type = score
  sieve_virustest_status_header = X-Virus-Score
  sieve_virustest_max_value = 5
}}
"""


def parse_pigeonhole(stdout):
    actions, current = [], None
    lines = stdout.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith(" * store message in folder: "):
            current = {"kind": "store", "mailbox": line.split(": ", 1)[1], "flags": [], "create": False}
            actions.append(current)
        elif line.startswith("        + add IMAP flags:") and current:
            current["flags"] = line.split(":", 1)[1].split()
        elif line.startswith("        + create mailbox") and current:
            current["create"] = True
        elif line.startswith(" * redirect message to: "):
            actions.append({"kind": "line", "text": "redirect " + line.split(": ", 1)[1].strip("<>")})
        elif line.startswith(" * reject message with reason: "):
            actions.append({"kind": "line", "text": "reject " + printable(line.split(": ", 1)[1])})
        elif line == " * discard":
            actions.append({"kind": "line", "text": "discard"})
        elif line.startswith(" * keep"):
            current = {"kind": "store", "mailbox": "INBOX", "flags": [], "create": False}
            actions.append(current)
        elif line == " * send vacation message:":
            fields = {"seconds": "", "subject": "", "from": "", "handle": None}
            while lines[i].startswith("    => "):
                key, _, value = lines[i][7:].partition(":")
                fields[key.strip()] = value[1:]
                i += 1
            start = lines.index("START MESSAGE", i)
            end = lines.index("END MESSAGE", start)
            reason = "\r\n".join(lines[start + 1:end])
            i = end + 1
            text = f"vacation seconds={fields['seconds']} subject={fields['subject']} from={fields['from']}"
            # A handle Pigeonhole made itself ends in <MIME> or <NO-MIME>.
            if fields["handle"] is not None and not re.search(r"<(NO-)?MIME>$", fields["handle"]):
                text += f" handle={fields['handle']}"
            actions.append({"kind": "line", "text": text + f" reason={reason}"})
    out = []
    for a in actions:
        if a["kind"] == "store":
            out.append(store_line(a["mailbox"], a["flags"], a["create"]))
        else:
            out.append(a["text"])
    return sorted(out)


@pytest.fixture(scope="module")
def pigeonhole():
    """A folder `nobody` can read (pytest's own are root's alone), with the
    Dovecot configuration: every extension of README "Sieve" enabled, the
    spam and virus scores read from X-Spam-Score (0..10) and X-Virus-Score
    (0..5), vacation periods taken as written."""
    if not os.access(SIEVE_TEST, os.X_OK):
        pytest.skip("sieve-test (Debian dovecot-sieve) is not installed")
    base = Path(tempfile.mkdtemp(prefix="pochta-sieve-"))
    os.chmod(base, 0o777)
    (base / "dovecot.conf").write_text(DOVECOT_CONF.format(base=base))
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def config(tmp_path_factory, tls_cert, default_users, pochta_bin):
    return h.Server(pochta_bin, tmp_path_factory.mktemp("sieve"), *tls_cert, users=default_users)


def run_pigeonhole(base, case, folder):
    # Dovecot refuses to run mail work as root: drop to nobody when root.
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.getuid() == 0 else []
    sender = case.sender or "<>"
    # Personal includes come from the user's script storage: the case's folder.
    r = subprocess.run(prefix + [SIEVE_TEST, "-C", "-c", str(base / "dovecot.conf"), "-f", sender,
                                 "-o", f"plugin/sieve=file:{folder}",
                                 "-a", case.recipient, "-r", case.recipient,
                                 str(folder / "script.sieve"), str(folder / "message.eml")],
                       capture_output=True, timeout=30, env={**os.environ, "HOME": str(base)})
    stderr = r.stderr.decode(errors="replace")
    if "failed to compile" in stderr:
        m = re.search(r"script: line (\d+): error", stderr)
        return [f"compile-error {m.group(1) if m else '?'}"]
    if "resolved with successful implicit keep" in stderr:
        return sorted(ERROR)
    assert r.returncode == 0, stderr
    return parse_pigeonhole(r.stdout.decode(errors="replace"))


def write_case(folder, case):
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o777)
    (folder / "script.sieve").write_text(case.script, encoding="utf-8", newline="")
    (folder / "message.eml").write_text(MESSAGES[case.msg], encoding="utf-8", newline="")
    for name, text in INCLUDES.items():
        (folder / f"{name}.sieve").write_text(text, encoding="utf-8", newline="")
    return folder


def test_enough_cases():
    assert len(CASES) >= 150
    assert len({c.cid for c in CASES}) == len(CASES)
    for case in CASES:
        assert (case.pigeonhole is None) == (not case.why), case.cid


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.cid)
def test_case(case, config, pigeonhole):
    folder = write_case(pigeonhole / case.cid, case)
    expected = sorted(printable(a) for a in case.expect)
    assert run_pochta(config, case, folder) == expected, "pochta"
    want = sorted(case.pigeonhole) if case.pigeonhole is not None else expected
    assert run_pigeonhole(pigeonhole, case, folder) == want, f"pigeonhole ({case.why or 'no documented deviation'})"


def test_check_command(config, tmp_path):
    """`pochta sieve check FILE`: exit 0 for a valid script, else
    FILE:LINE:COLUMN: error on stderr and exit 1."""
    good = tmp_path / "good.sieve"
    good.write_text('require "fileinto";\nfileinto "A";\n')
    r = config.cli("sieve", "check", str(good))
    assert (r.returncode, r.stdout, r.stderr) == (0, b"", b"")
    bad = tmp_path / "bad.sieve"
    bad.write_text('require "fileinto";\nif header :is "a" "b" {\n  fileinto 3;\n}\n')
    r = config.cli("sieve", "check", str(bad))
    assert r.returncode == 1
    assert r.stderr.decode() == f"{bad}:3:12: 'fileinto' expects a string here\n"
    r = config.cli("sieve", "check", str(tmp_path / "missing.sieve"))
    assert r.returncode == 1 and b"cannot read" in r.stderr
    assert config.cli("sieve", "frobnicate").returncode == 2


def test_test_command_runs_several_messages(config, tmp_path):
    """`pochta sieve test SCRIPT MESSAGE...`: the script compiled once,
    each message's actions after a `message FILE` line."""
    script = tmp_path / "s.sieve"
    script.write_text('require "fileinto";\nif header :contains "subject" "urgent" { fileinto "Urgent"; }\n')
    files = []
    for i, subject in enumerate(["urgent: call me", "lunch", "URGENT too"]):
        files.append(tmp_path / f"{i}.eml")
        files[-1].write_bytes(f"From: a@example.net\r\nSubject: {subject}\r\n\r\nhi\r\n".encode())
    r = config.cli("sieve", "test", str(script), *map(str, files), "--to", RECIPIENT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == [
        f"message {files[0]}", 'fileinto "Urgent"',
        f"message {files[1]}", "keep",
        f"message {files[2]}", 'fileinto "Urgent"']
    r = config.cli("sieve", "test", str(script), "--to", RECIPIENT)
    assert r.returncode == 2
