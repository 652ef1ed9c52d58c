// A small HTTP/1.1 server on 127.0.0.1 for the tests of remote reading: serves files with byte ranges,
// and on chosen paths misbehaves the ways real servers do (redirects, 404, a Range header ignored, a
// connection cut mid-body, no answer at all). It counts the body bytes it sends, per path, so tests can
// bound what a client downloaded without trusting the client's own count. One thread per connection;
// every response closes its connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <charconv>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace gguf::test {

class HttpServer {
public:
    struct Route {
        std::string body;              // the file
        std::string redirect_to;       // non-empty: answer 302 to this path
        int status = 0;                // non-zero: answer this status with a short body
        bool ignore_range = false;     // answer 200 with the whole file whatever Range says
        // Cut the connection after sending the body up to this file offset (the headers promise the
        // whole range), for the first `cuts` requests (-1: every request).
        std::optional<std::uint64_t> cut_at;
        int cuts = -1;
        bool hang = false;             // read the request and never answer
        std::uint64_t max_answer = 0;  // non-zero: answer a range with at most this many bytes (as some servers cap)
    };

    HttpServer() {
        // Clients in this process and its children must reach the server directly, not through a proxy
        // that the environment of a CI machine may name (libcurl honours http_proxy and no_proxy).
        ::setenv("no_proxy", "127.0.0.1", 1);
        ::setenv("NO_PROXY", "127.0.0.1", 1);
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (listener_ < 0) throw std::runtime_error("socket");
        const int one = 1;
        ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 64) != 0)
            throw std::runtime_error("bind/listen");
        socklen_t len = sizeof addr;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }

    ~HttpServer() {
        stop_ = true;
        acceptor_.join();
        std::vector<std::thread> workers;
        {
            std::lock_guard lock(mutex_);
            workers.swap(workers_);
        }
        for (auto& w : workers) w.join();
        ::close(listener_);
    }
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    void route(const std::string& path, Route r) {
        std::lock_guard lock(mutex_);
        routes_[path] = std::move(r);
    }
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

    std::uint64_t body_bytes_sent(const std::string& path) const {
        std::lock_guard lock(mutex_);
        const auto it = sent_.find(path);
        return it == sent_.end() ? 0 : it->second;
    }
    int requests(const std::string& path) const {
        std::lock_guard lock(mutex_);
        const auto it = requests_.find(path);
        return it == requests_.end() ? 0 : it->second;
    }
    void reset_counts() {
        std::lock_guard lock(mutex_);
        sent_.clear();
        requests_.clear();
    }

private:
    void accept_loop() {
        while (!stop_) {
            pollfd p{listener_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) continue;
            std::lock_guard lock(mutex_);
            workers_.emplace_back([this, fd] {
                serve(fd);
                ::close(fd);
            });
        }
    }

    // The request head, or "" when the client went away or the server stops.
    std::string read_head(int fd) {
        std::string head;
        char buf[4096];
        while (head.find("\r\n\r\n") == std::string::npos) {
            pollfd p{fd, POLLIN, 0};
            if (stop_) return {};
            if (::poll(&p, 1, 50) <= 0) continue;
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return {};
            head.append(buf, static_cast<std::size_t>(n));
        }
        return head;
    }

    bool send_all(int fd, std::string_view data) {
        while (!data.empty()) {
            const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // Sends body bytes in pieces; stops when the client hangs up. Each piece is counted before it is
    // sent, so the count is never behind what a client that has finished received (it may count one
    // piece more than arrived when the client hangs up).
    void send_body(int fd, const std::string& path, std::string_view body) {
        constexpr std::size_t kPiece = 16384;
        while (!body.empty()) {
            const std::string_view piece = body.substr(0, kPiece);
            {
                std::lock_guard lock(mutex_);
                sent_[path] += piece.size();
            }
            if (!send_all(fd, piece)) return;
            body.remove_prefix(piece.size());
        }
    }

    static std::optional<std::uint64_t> number(std::string_view s) {
        std::uint64_t v = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
        return v;
    }

    void serve(int fd) {
        const std::string head = read_head(fd);
        if (head.empty()) return;
        const auto sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
        const std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
        Route r;
        bool found = false;
        bool cut_this = false;
        {
            std::lock_guard lock(mutex_);
            ++requests_[path];  // counted before the answer, for the same reason as the bytes
            if (const auto it = routes_.find(path); it != routes_.end()) {
                found = true;
                if (it->second.cut_at && it->second.cuts != 0) {
                    cut_this = true;
                    if (it->second.cuts > 0) --it->second.cuts;
                }
                r = it->second;
            }
        }
        if (!found || r.status != 0) {
            const int status = found ? r.status : 404;
            const std::string body = "error " + std::to_string(status) + "\n";
            send_all(fd, "HTTP/1.1 " + std::to_string(status) + " Error\r\nContent-Length: " + std::to_string(body.size()) +
                             "\r\nConnection: close\r\n\r\n" + body);
            return;
        }
        if (!r.redirect_to.empty()) {
            send_all(fd, "HTTP/1.1 302 Found\r\nLocation: " + r.redirect_to + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return;
        }
        if (r.hang) {
            while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
            return;
        }
        const std::uint64_t size = r.body.size();
        std::optional<std::uint64_t> first, last;
        if (const auto at = head.find("\r\nRange: bytes="); at != std::string::npos && !r.ignore_range) {
            const auto end = head.find("\r\n", at + 2);
            const std::string spec = head.substr(at + 15, end - at - 15);
            const auto dash = spec.find('-');
            first = number(std::string_view(spec).substr(0, dash));
            last = dash + 1 < spec.size() ? number(std::string_view(spec).substr(dash + 1)) : std::optional<std::uint64_t>(size - 1);
        }
        if (!first) {
            send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(size) + "\r\nConnection: close\r\n\r\n");
            send_body(fd, path, r.body);
            return;
        }
        if (*first >= size) {
            send_all(fd, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */" + std::to_string(size) +
                             "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return;
        }
        std::uint64_t end = std::min(*last, size - 1) + 1;
        if (r.max_answer) end = std::min(end, *first + r.max_answer);
        send_all(fd, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + std::to_string(*first) + "-" +
                         std::to_string(end - 1) + "/" + std::to_string(size) + "\r\nContent-Length: " +
                         std::to_string(end - *first) + "\r\nConnection: close\r\n\r\n");
        std::uint64_t stop_at = end;
        if (cut_this) stop_at = std::clamp(*r.cut_at, *first, end);
        send_body(fd, path, std::string_view(r.body).substr(*first, stop_at - *first));
    }

    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread acceptor_;
    mutable std::mutex mutex_;
    std::vector<std::thread> workers_;
    std::map<std::string, Route> routes_;
    std::map<std::string, std::uint64_t> sent_;
    std::map<std::string, int> requests_;
};

}  // namespace gguf::test
