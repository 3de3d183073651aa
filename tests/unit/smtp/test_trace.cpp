#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include "smtp/trace.hpp"

using namespace pochta::smtp;

namespace {

// The fields every Received needs, with short stand-ins.
ReceivedInfo from_client(std::string helo, std::string client_ip) {
    ReceivedInfo info;
    info.helo = std::move(helo);
    info.client_ip = std::move(client_ip);
    info.hostname = "h";
    info.queue_id = "q";
    info.date = "d";
    return info;
}

}  // namespace

TEST_CASE("Received names the client, us, the protocol and TLS", "[smtp][trace]") {
    ReceivedInfo info;
    info.helo = "client.example";
    info.client_ip = "192.0.2.7";
    info.hostname = "mail.example.org";
    info.tls = "TLSv1.3 TLS_AES_256_GCM_SHA384";
    info.authenticated = true;
    info.queue_id = "abc123";
    info.single_recipient = "bob@example.org";
    info.date = "Thu, 26 Nov 2026 11:33:54 +0000";
    CHECK(received_header(info) ==
          "Received: from client.example ([192.0.2.7])\r\n"
          "\tby mail.example.org (pochta) with ESMTPSA (TLSv1.3 TLS_AES_256_GCM_SHA384)\r\n"
          "\tid abc123\r\n"
          "\tfor <bob@example.org>;\r\n"
          "\tThu, 26 Nov 2026 11:33:54 +0000\r\n");
}

TEST_CASE("Received protocol names follow RFC 3848 and RFC 6531", "[smtp][trace]") {
    ReceivedInfo info = from_client("bad name\r\nX-Injected: 1", "::1");
    info.esmtp = false;
    std::string plain = received_header(info);
    CHECK(plain.find("with SMTP\r\n") != std::string::npos);
    CHECK(plain.find("\r\nX-Injected") == std::string::npos);
    info.esmtp = true;
    info.smtputf8 = true;
    info.tls = "TLSv1.2 X";
    CHECK(received_header(info).find("with UTF8SMTPS (TLSv1.2 X)") != std::string::npos);
}

TEST_CASE("Return-Path and Received counting", "[smtp][trace]") {
    CHECK(return_path_header("") == "Return-Path: <>\r\n");
    CHECK(return_path_header("a@b") == "Return-Path: <a@b>\r\n");
    CHECK(count_received("Received: a\r\nreceived: b\r\n c\r\nSubject: x\r\n\r\nReceived: body\r\n") == 2);
    CHECK(count_received("") == 0);
}

TEST_CASE("Received carries no raw 8-bit or structural octets of the HELO name", "[smtp][trace]") {
    ReceivedInfo info = from_client("m\xc3\xbcller.example\xff", "192.0.2.1");
    std::string header = received_header(info);
    for (unsigned char c : header) CHECK(c < 0x80);
    CHECK(header.rfind("Received: from m??ller.example? ([192.0.2.1])\r\n", 0) == 0);
    info.helo = "evil (comment; x) <a@b>\\\"";
    CHECK(received_header(info).rfind("Received: from evil??comment??x???a?b??? ([192.0.2.1])", 0) == 0);
    // Domains and address literals pass unchanged.
    for (std::string helo : {"mail.example.org", "[192.0.2.1]", "[IPv6:2001:db8::1]", "x-y_z.example"}) {
        info.helo = helo;
        CHECK(received_header(info).rfind("Received: from " + helo + " (", 0) == 0);
    }
}
