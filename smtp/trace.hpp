// Trace header fields added on acceptance: Received (RFC 5321 4.4, with the
// protocol names of RFC 3848) and Return-Path for local delivery.
#pragma once

#include <string>
#include <string_view>

namespace pochta::smtp {

struct ReceivedInfo {
    std::string helo;            // what the client said in EHLO/HELO
    std::string client_ip;
    std::string hostname;        // ours
    bool esmtp = true;
    std::string tls;             // "" or "TLSv1.3 TLS_AES_256_GCM_SHA384"
    bool authenticated = false;
    bool smtputf8 = false;
    std::string queue_id;
    std::string single_recipient;  // "for <...>" only when exactly one
    std::string date;              // RFC 5322 date-time
};

// "Received: from ... by ... with ESMTPS id ...; date\r\n", folded.
std::string received_header(const ReceivedInfo& info);

// "Return-Path: <sender>\r\n" ("<>" for the null sender).
std::string return_path_header(std::string_view sender);

// Counts Received fields in the header section of `message` (loop detection).
size_t count_received(std::string_view message);

}  // namespace pochta::smtp
