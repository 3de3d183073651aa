# 50 rules for bench/sieve-ingest.sh: header, address, body and regex
# tests, none of which matches the bench message, so each message is
# tested against all of them and kept in INBOX.
require ["fileinto", "imap4flags", "body", "regex", "variables", "relational", "comparator-i;ascii-numeric"];

if header :contains "subject" "project-0-status" { fileinto "Folder0"; addflag "$Rule0"; }
if address :domain :is "from" "list1.example.org" { fileinto "Folder1"; addflag "$Rule1"; }
if body :text :contains "unsubscribe-code-2" { fileinto "Folder2"; addflag "$Rule2"; }
if header :regex "subject" "^\\[ticket #3[0-9]+\\]" { fileinto "Folder3"; addflag "$Rule3"; }
if anyof (header :is "list-id" "<l4.lists.example.org>", address :localpart :matches "to" "team4-*") { fileinto "Folder4"; addflag "$Rule4"; }
if header :contains "subject" "project-5-status" { fileinto "Folder5"; addflag "$Rule5"; }
if address :domain :is "from" "list6.example.org" { fileinto "Folder6"; addflag "$Rule6"; }
if body :text :contains "unsubscribe-code-7" { fileinto "Folder7"; addflag "$Rule7"; }
if header :regex "subject" "^\\[ticket #8[0-9]+\\]" { fileinto "Folder8"; addflag "$Rule8"; }
if anyof (header :is "list-id" "<l9.lists.example.org>", address :localpart :matches "to" "team9-*") { fileinto "Folder9"; addflag "$Rule9"; }
if header :contains "subject" "project-10-status" { fileinto "Folder10"; addflag "$Rule10"; }
if address :domain :is "from" "list11.example.org" { fileinto "Folder11"; addflag "$Rule11"; }
if body :text :contains "unsubscribe-code-12" { fileinto "Folder12"; addflag "$Rule12"; }
if header :regex "subject" "^\\[ticket #13[0-9]+\\]" { fileinto "Folder13"; addflag "$Rule13"; }
if anyof (header :is "list-id" "<l14.lists.example.org>", address :localpart :matches "to" "team14-*") { fileinto "Folder14"; addflag "$Rule14"; }
if header :contains "subject" "project-15-status" { fileinto "Folder15"; addflag "$Rule15"; }
if address :domain :is "from" "list16.example.org" { fileinto "Folder16"; addflag "$Rule16"; }
if body :text :contains "unsubscribe-code-17" { fileinto "Folder17"; addflag "$Rule17"; }
if header :regex "subject" "^\\[ticket #18[0-9]+\\]" { fileinto "Folder18"; addflag "$Rule18"; }
if anyof (header :is "list-id" "<l19.lists.example.org>", address :localpart :matches "to" "team19-*") { fileinto "Folder19"; addflag "$Rule19"; }
if header :contains "subject" "project-20-status" { fileinto "Folder20"; addflag "$Rule20"; }
if address :domain :is "from" "list21.example.org" { fileinto "Folder21"; addflag "$Rule21"; }
if body :text :contains "unsubscribe-code-22" { fileinto "Folder22"; addflag "$Rule22"; }
if header :regex "subject" "^\\[ticket #23[0-9]+\\]" { fileinto "Folder23"; addflag "$Rule23"; }
if anyof (header :is "list-id" "<l24.lists.example.org>", address :localpart :matches "to" "team24-*") { fileinto "Folder24"; addflag "$Rule24"; }
if header :contains "subject" "project-25-status" { fileinto "Folder25"; addflag "$Rule25"; }
if address :domain :is "from" "list26.example.org" { fileinto "Folder26"; addflag "$Rule26"; }
if body :text :contains "unsubscribe-code-27" { fileinto "Folder27"; addflag "$Rule27"; }
if header :regex "subject" "^\\[ticket #28[0-9]+\\]" { fileinto "Folder28"; addflag "$Rule28"; }
if anyof (header :is "list-id" "<l29.lists.example.org>", address :localpart :matches "to" "team29-*") { fileinto "Folder29"; addflag "$Rule29"; }
if header :contains "subject" "project-30-status" { fileinto "Folder30"; addflag "$Rule30"; }
if address :domain :is "from" "list31.example.org" { fileinto "Folder31"; addflag "$Rule31"; }
if body :text :contains "unsubscribe-code-32" { fileinto "Folder32"; addflag "$Rule32"; }
if header :regex "subject" "^\\[ticket #33[0-9]+\\]" { fileinto "Folder33"; addflag "$Rule33"; }
if anyof (header :is "list-id" "<l34.lists.example.org>", address :localpart :matches "to" "team34-*") { fileinto "Folder34"; addflag "$Rule34"; }
if header :contains "subject" "project-35-status" { fileinto "Folder35"; addflag "$Rule35"; }
if address :domain :is "from" "list36.example.org" { fileinto "Folder36"; addflag "$Rule36"; }
if body :text :contains "unsubscribe-code-37" { fileinto "Folder37"; addflag "$Rule37"; }
if header :regex "subject" "^\\[ticket #38[0-9]+\\]" { fileinto "Folder38"; addflag "$Rule38"; }
if anyof (header :is "list-id" "<l39.lists.example.org>", address :localpart :matches "to" "team39-*") { fileinto "Folder39"; addflag "$Rule39"; }
if header :contains "subject" "project-40-status" { fileinto "Folder40"; addflag "$Rule40"; }
if address :domain :is "from" "list41.example.org" { fileinto "Folder41"; addflag "$Rule41"; }
if body :text :contains "unsubscribe-code-42" { fileinto "Folder42"; addflag "$Rule42"; }
if header :regex "subject" "^\\[ticket #43[0-9]+\\]" { fileinto "Folder43"; addflag "$Rule43"; }
if anyof (header :is "list-id" "<l44.lists.example.org>", address :localpart :matches "to" "team44-*") { fileinto "Folder44"; addflag "$Rule44"; }
if header :contains "subject" "project-45-status" { fileinto "Folder45"; addflag "$Rule45"; }
if address :domain :is "from" "list46.example.org" { fileinto "Folder46"; addflag "$Rule46"; }
if body :text :contains "unsubscribe-code-47" { fileinto "Folder47"; addflag "$Rule47"; }
if header :regex "subject" "^\\[ticket #48[0-9]+\\]" { fileinto "Folder48"; addflag "$Rule48"; }
if anyof (header :is "list-id" "<l49.lists.example.org>", address :localpart :matches "to" "team49-*") { fileinto "Folder49"; addflag "$Rule49"; }
