// `info`, `hash --header-only` and `check --header-only` on URLs, against a server on 127.0.0.1 that
// this test runs (support/http_server.hpp): the output equals that of the same file on disk, the
// server sends at most twice the header, and every failure (404, Range ignored, a cut connection, no
// answer, a file shorter than its header) exits 2 naming the URL and the cause, within seconds.
#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "gguf/container.hpp"
#include "gguf/remote/remote.hpp"
#include "gguf/writer.hpp"
#include "rules/fixture.hpp"
#include "support/command.hpp"
#include "support/http_server.hpp"
#include "support/temp_dir.hpp"

using namespace gguf;

namespace {

// Short timeouts and delays so that the failure cases take seconds; a first request smaller than the
// header so that the growing requests are exercised.
constexpr std::string_view kFastEnv =
    "GGUF_DOCTOR_HTTP_TIMEOUT=1 GGUF_DOCTOR_HTTP_RETRIES=2 GGUF_DOCTOR_HTTP_RETRY_DELAY=0.05 GGUF_DOCTOR_HTTP_FIRST_READ=4096";

struct Run {
    int status = -1;
    std::string out, err;
    double seconds = 0;
};

Run doctor(const std::string& args, std::string_view env = kFastEnv) {
    static test::TempDir dir;
    const auto err_path = dir / "stderr.txt";
    const auto start = std::chrono::steady_clock::now();
    const auto r = test::run_command(std::string(env) + " " + GGUF_DOCTOR_BINARY_DIR + "/gguf-doctor " + args + " 2>'" +
                                     err_path.string() + "'");
    Run out;
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out.status = r.status;
    out.out = r.out;
    out.err = test::read_file(err_path);
    return out;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
    return text;
}

// The tiny llama sample, on disk and served at /m.gguf.
struct Served {
    test::TempDir dir;
    std::filesystem::path file = dir / "m.gguf";
    std::string bytes;
    std::uint64_t header = 0;
    test::HttpServer server;

    Served() {
        REQUIRE(test::build(test::config("tiny-llama", 2)).write(file).ok());
        bytes = test::read_file(file);
        auto opened = open(file);
        REQUIRE(opened.ok());
        header = opened->shards()[0].header_bytes;
        server.route("/m.gguf", {.body = bytes});
    }
};

}  // namespace

TEST_CASE("info URL prints what info FILE prints, from at most twice the header's bytes") {
    Served s;
    REQUIRE(s.bytes.size() > 4 * s.header);  // the data is most of the file, so reading it would show
    const Run local = doctor("info " + quoted(s.file.string()));
    REQUIRE(local.status == 0);
    const Run remote = doctor("info " + s.server.url("/m.gguf"));
    REQUIRE_MESSAGE(remote.status == 0, remote.err);
    CHECK(replaced(remote.out, s.server.url("/m.gguf"), "FILE") == replaced(local.out, s.file.string(), "FILE"));
    const std::uint64_t sent = s.server.body_bytes_sent("/m.gguf");
    MESSAGE("header " << s.header << " bytes, file " << s.bytes.size() << " bytes, sent " << sent << " bytes in "
                      << s.server.requests("/m.gguf") << " requests: " << double(sent) / double(s.header) << " x the header");
    CHECK(sent >= s.header);
    CHECK(sent <= 2 * s.header);

    // --json, and the default first request (256 KiB, more than this whole header).
    s.server.reset_counts();
    const Run local_json = doctor("info --json " + quoted(s.file.string()));
    const Run remote_json = doctor("info --json " + s.server.url("/m.gguf"), "");
    REQUIRE_MESSAGE(remote_json.status == 0, remote_json.err);
    auto a = nlohmann::json::parse(local_json.out), b = nlohmann::json::parse(remote_json.out);
    CHECK(b["file"] == s.server.url("/m.gguf"));
    CHECK(b["shards"][0]["path"] == s.server.url("/m.gguf"));
    for (auto* j : {&a, &b}) {
        j->erase("file");
        (*j)["shards"][0].erase("path");
    }
    CHECK(a == b);
    CHECK(s.server.body_bytes_sent("/m.gguf") <= std::max<std::uint64_t>(gguf::default_first_read, 2 * s.header));
    CHECK(s.server.body_bytes_sent("/m.gguf") < s.bytes.size());
}

TEST_CASE("redirects are followed, short answers are asked again, and a connection cut once is resumed by a retry") {
    Served s;
    s.server.route("/redirect/m.gguf", {.redirect_to = "/cdn/m.gguf"});
    s.server.route("/cdn/m.gguf", {.body = s.bytes});
    const Run local = doctor("info " + quoted(s.file.string()));
    const Run redirected = doctor("info " + s.server.url("/redirect/m.gguf"));
    REQUIRE_MESSAGE(redirected.status == 0, redirected.err);
    CHECK(replaced(redirected.out, s.server.url("/redirect/m.gguf"), "FILE") == replaced(local.out, s.file.string(), "FILE"));
    CHECK(s.server.body_bytes_sent("/cdn/m.gguf") <= 2 * s.header);

    s.server.route("/capped.gguf", {.body = s.bytes, .max_answer = 1000});
    const Run capped = doctor("info " + s.server.url("/capped.gguf"));
    REQUIRE_MESSAGE(capped.status == 0, capped.err);
    CHECK(replaced(capped.out, s.server.url("/capped.gguf"), "FILE") == replaced(local.out, s.file.string(), "FILE"));
    CHECK(s.server.body_bytes_sent("/capped.gguf") <= 2 * s.header);

    s.server.route("/flaky.gguf", {.body = s.bytes, .cut_at = s.header / 2, .cuts = 1});
    const Run flaky = doctor("info " + s.server.url("/flaky.gguf"));
    REQUIRE_MESSAGE(flaky.status == 0, flaky.err);
    CHECK(replaced(flaky.out, s.server.url("/flaky.gguf"), "FILE") == replaced(local.out, s.file.string(), "FILE"));
    CHECK(s.server.requests("/flaky.gguf") >= 2);
}

TEST_CASE("every failure exits 2 within seconds, naming the URL and the cause") {
    Served s;
    s.server.route("/missing-status.gguf", {.status = 404});
    s.server.route("/server-error.gguf", {.status = 503});
    s.server.route("/no-range.gguf", {.body = s.bytes, .ignore_range = true});
    s.server.route("/cut.gguf", {.body = s.bytes, .cut_at = s.header / 2});
    s.server.route("/hang.gguf", {.hang = true});
    // Cut inside the last tensor info's data offset (the header's last 8 bytes).
    const std::string cut_bytes = s.bytes.substr(0, s.header - 3);
    s.server.route("/truncated.gguf", {.body = cut_bytes});
    struct Case {
        std::string path, cause;
    };
    const Case cases[] = {
        {"/nothing-here.gguf", "HTTP 404"},
        {"/missing-status.gguf", "HTTP 404"},
        {"/server-error.gguf", "HTTP 503"},
        {"/no-range.gguf", "ignored the range request"},
        {"/cut.gguf", "connection was cut"},
        {"/hang.gguf", "timed out"},
        {"/truncated.gguf", "truncated: file ends inside the data offset of tensor"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.path);
        const std::string url = s.server.url(c.path);
        const Run r = doctor("info " + url);
        CAPTURE(r.err);
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(r.err.find(url) != std::string::npos);
        CHECK(r.err.find(c.cause) != std::string::npos);
        CHECK(r.seconds < 15);
    }
    // The server that ignores Range: the client stopped at the first bytes instead of taking the file.
    remote::FetchStats stats;
    const auto refused = remote::open_remote(s.server.url("/no-range.gguf"), {}, {.retries = 0, .first_read = 4096}, &stats);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("ignored the range request") != std::string::npos);
    CHECK(stats.bytes == 0);
    CHECK(stats.requests == 1);
    // A file shorter than its header fails as the same file on disk does, at the same offset.
    const auto cut_file = s.dir / "truncated.gguf";
    {
        std::ofstream(cut_file, std::ios::binary) << cut_bytes;
    }
    const Run local = doctor("info " + quoted(cut_file.string()));
    const Run remote = doctor("info " + s.server.url("/truncated.gguf"));
    CHECK(local.status == 2);
    CHECK(replaced(remote.err, s.server.url("/truncated.gguf"), "FILE") == replaced(local.err, cut_file.string(), "FILE"));
    // A header longer than the limit is not read on.
    remote::FetchStats capped_stats;
    const auto too_long = remote::open_remote(s.server.url("/m.gguf"), {}, {.first_read = 1024, .max_header_bytes = 5000},
                                              &capped_stats);
    REQUIRE_FALSE(too_long.ok());
    CHECK(too_long.error().message.find("GGUF_DOCTOR_HTTP_MAX_HEADER") != std::string::npos);
    CHECK(capped_stats.bytes == 5000);
    // A setting that is not a number is named.
    const Run bad_setting = doctor("info " + s.server.url("/m.gguf"), "GGUF_DOCTOR_HTTP_TIMEOUT=soon");
    CHECK(bad_setting.status == 2);
    CHECK(bad_setting.err.find("GGUF_DOCTOR_HTTP_TIMEOUT is 'soon'") != std::string::npos);
    // Nothing listens on a closed port.
    test::HttpServer* closed = new test::HttpServer;
    const std::string gone = closed->url("/m.gguf");
    delete closed;
    const Run refused_run = doctor("info " + gone);
    CHECK(refused_run.status == 2);
    CHECK(refused_run.err.find(gone) != std::string::npos);
    CHECK(refused_run.seconds < 15);
}

TEST_CASE("the shards of a split model are found from the first URL, each read only to its header") {
    Served s;
    auto writer = writer_from(*open(s.file), ByteOrder::little);
    REQUIRE(writer.ok());
    auto paths = write_split(*writer, s.dir / "split" , 10);
    REQUIRE(paths.ok());
    REQUIRE(paths->size() >= 3);
    std::vector<std::uint64_t> headers;
    for (const auto& p : *paths) {
        s.server.route("/repo/" + p.filename().string(), {.body = test::read_file(p)});
        headers.push_back(open(p, {.load_split = false}).value().shards()[0].header_bytes);
    }
    const std::string first = s.server.url("/repo/" + paths->front().filename().string());
    const Run local = doctor("info " + quoted(paths->front().string()));
    REQUIRE(local.status == 0);
    const Run remote = doctor("info " + first);
    REQUIRE_MESSAGE(remote.status == 0, remote.err);
    CHECK(replaced(remote.out, first, "FILE") == replaced(local.out, paths->front().string(), "FILE"));
    for (std::size_t k = 0; k < paths->size(); ++k) {
        CAPTURE(k);
        const std::uint64_t sent = s.server.body_bytes_sent("/repo/" + (*paths)[k].filename().string());
        CHECK(sent >= headers[k]);
        CHECK(sent <= std::max<std::uint64_t>(4096, 2 * headers[k]));
    }
    const Run local_hash = doctor("hash --header-only " + quoted(paths->front().string()));
    const Run remote_hash = doctor("hash --header-only " + first);
    REQUIRE_MESSAGE(remote_hash.status == 0, remote_hash.err);
    CHECK(remote_hash.out == local_hash.out);
    // A missing shard is named.
    s.server.route("/repo/" + (*paths)[1].filename().string(), {.status = 404});
    const Run missing = doctor("info " + first);
    CHECK(missing.status == 2);
    CHECK(missing.err.find(s.server.url("/repo/" + (*paths)[1].filename().string())) != std::string::npos);
}

TEST_CASE("hash --header-only and check --header-only give the same answers for the URL as for the file") {
    Served s;
    const std::string url = s.server.url("/m.gguf");
    const std::string file = quoted(s.file.string());
    const Run local_hash = doctor("hash --header-only " + file);
    REQUIRE(local_hash.status == 0);
    const Run remote_hash = doctor("hash --header-only " + url);
    REQUIRE_MESSAGE(remote_hash.status == 0, remote_hash.err);
    CHECK(remote_hash.out == local_hash.out);
    CHECK(remote_hash.out.find("header only, the data is not hashed") != std::string::npos);

    // A full manifest made from the file verifies the URL on everything the header holds.
    const auto manifest = s.dir / "manifest.json";
    REQUIRE(doctor("hash --no-values --manifest " + quoted(manifest.string()) + " " + file).status == 0);
    const Run verified = doctor("hash --header-only --check " + quoted(manifest.string()) + " " + url);
    CHECK_MESSAGE(verified.status == 0, std::string(verified.out + verified.err));
    CHECK(verified.out.find("header only") != std::string::npos);
    // ... and notices a changed key.
    auto edited = writer_from(*open(s.file), ByteOrder::little);
    REQUIRE(edited.ok());
    edited->set("general.name", Value::string("another name"));
    const auto other = s.dir / "other.gguf";
    REQUIRE(edited->write(other).ok());
    s.server.route("/other.gguf", {.body = test::read_file(other)});
    const Run changed = doctor("hash --header-only --check " + quoted(manifest.string()) + " " + s.server.url("/other.gguf"));
    CHECK(changed.status == 1);
    CHECK(changed.out.find("general.name") != std::string::npos);

    s.server.reset_counts();
    const Run local_check = doctor("check --header-only --json " + file);
    const Run remote_check = doctor("check --no-forward --header-only --json " + url);
    REQUIRE_MESSAGE(local_check.status <= 1, local_check.err);
    REQUIRE_MESSAGE(remote_check.status == local_check.status, remote_check.err);
    auto a = nlohmann::json::parse(local_check.out), b = nlohmann::json::parse(remote_check.out);
    for (auto* j : {&a, &b}) {
        j->erase("seconds");
        j->erase("file");
        j->erase("path");
    }
    CHECK(replaced(b.dump(), url, "FILE") == replaced(a.dump(), s.file.string(), "FILE"));
    bool weights_skipped = false, forward_skipped = false;
    for (const auto& step : b["checks"]) {
        if (step["name"] == "weights") weights_skipped = step["status"] == "skipped" && step["detail"].get<std::string>().find("--header-only") != std::string::npos;
        if (step["name"] == "forward pass") forward_skipped = step["status"] == "skipped";
    }
    CHECK(weights_skipped);
    CHECK(forward_skipped);
    CHECK(s.server.body_bytes_sent("/m.gguf") <= 2 * s.header);

    // A URL without --header-only is a usage error: the tensor data would be needed.
    CHECK(doctor("hash " + url).status == 3);
    CHECK(doctor("check " + url).status == 3);
    CHECK(doctor("hash --header-only --sha256 " + url).status == 3);
}

TEST_CASE("a header of megabytes (a 150k-token vocabulary) is read with the default first request in a few requests") {
    test::TempDir dir;
    Writer w;
    w.set("general.architecture", Value::string("llama"));
    std::vector<std::string> tokens;
    for (int i = 0; i < 150000; ++i) tokens.push_back("token-" + std::to_string(i));
    w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
    REQUIRE(w.add_tensor({"token_embd.weight", 0, {1024, 4096}, std::vector<std::byte>(1024 * 4096 * 4, std::byte{0})}).ok());
    const auto file = dir / "big.gguf";
    REQUIRE(w.write(file).ok());
    const std::uint64_t header = open(file).value().shards()[0].header_bytes;
    test::HttpServer server;
    server.route("/big.gguf", {.body = test::read_file(file)});
    const Run local = doctor("info " + quoted(file.string()));
    const Run remote = doctor("info " + server.url("/big.gguf"), "");
    REQUIRE_MESSAGE(remote.status == 0, remote.err);
    CHECK(replaced(remote.out, server.url("/big.gguf"), "FILE") == replaced(local.out, file.string(), "FILE"));
    const std::uint64_t sent = server.body_bytes_sent("/big.gguf");
    MESSAGE("header " << header << " bytes, sent " << sent << " bytes in " << server.requests("/big.gguf")
                      << " requests: " << double(sent) / double(header) << " x the header");
    CHECK(sent >= header);
    CHECK(sent <= 2 * header);
    CHECK(server.requests("/big.gguf") <= 5);  // 256 KiB, 512 KiB, 1 MiB, 2 MiB, 4 MiB
}

TEST_CASE("fit URL prints what fit FILE prints, in text and JSON, from the header's bytes, split models included") {
    Served s;
    const std::string url = s.server.url("/m.gguf");
    const std::string file = quoted(s.file.string());
    for (const std::string options : {"", "--ctx 4096 --kv-type q8_0", "--gpu-memory 1M --gpu-memory 2M --n-gpu-layers 2"}) {
        CAPTURE(options);
        const Run local = doctor("fit " + options + " " + file);
        REQUIRE_MESSAGE(local.status <= 1, local.err);
        s.server.reset_counts();
        const Run remote = doctor("fit " + options + " " + url);
        REQUIRE_MESSAGE(remote.status == local.status, remote.err);
        CHECK(replaced(remote.out, url, "FILE") == replaced(local.out, s.file.string(), "FILE"));
        CHECK(s.server.body_bytes_sent("/m.gguf") <= 2 * s.header);
        const Run local_json = doctor("fit --json " + options + " " + file);
        const Run remote_json = doctor("fit --json " + options + " " + url);
        REQUIRE_MESSAGE(remote_json.status == local_json.status, remote_json.err);
        auto a = nlohmann::json::parse(local_json.out), b = nlohmann::json::parse(remote_json.out);
        CHECK(b["file"] == url);
        a.erase("file");
        b.erase("file");
        CHECK(a == b);
    }

    auto writer = writer_from(*open(s.file), ByteOrder::little);
    REQUIRE(writer.ok());
    auto paths = write_split(*writer, s.dir / "split", 10);
    REQUIRE(paths.ok());
    REQUIRE(paths->size() >= 3);
    for (const auto& p : *paths) s.server.route("/repo/" + p.filename().string(), {.body = test::read_file(p)});
    const std::string first = s.server.url("/repo/" + paths->front().filename().string());
    const Run local = doctor("fit --json " + quoted(paths->front().string()));
    const Run remote = doctor("fit --json " + first);
    REQUIRE_MESSAGE(remote.status == 0, remote.err);
    auto a = nlohmann::json::parse(local.out), b = nlohmann::json::parse(remote.out);
    a.erase("file");
    b.erase("file");
    CHECK(a == b);
    // One model: the weights of every shard, the same as the unsplit file's.
    const Run whole = doctor("fit --json " + url);
    CHECK(b["bytes"]["weights"] == nlohmann::json::parse(whole.out)["bytes"]["weights"]);
    for (const auto& p : *paths) {
        CAPTURE(p);
        CHECK(s.server.body_bytes_sent("/repo/" + p.filename().string()) <= std::max<std::uint64_t>(4096, 2 * open(p, {.load_split = false}).value().shards()[0].header_bytes));
    }
    // A URL that is not a model fails as info does.
    const Run missing = doctor("fit " + s.server.url("/nothing-here.gguf"));
    CHECK(missing.status == 2);
    CHECK(missing.err.find("HTTP 404") != std::string::npos);
}

TEST_CASE("a split model's URL with a query: shard names come from the path, every shard is fetched with the query") {
    Served s;
    auto writer = writer_from(*open(s.file), ByteOrder::little);
    REQUIRE(writer.ok());
    auto paths = write_split(*writer, s.dir / "split", 10);
    REQUIRE(paths.ok());
    REQUIRE(paths->size() >= 3);
    // The server answers only with the query, as a server that checks a token does; without it, 404.
    const std::string query = "?download=true&token=a%2Fb";
    for (const auto& p : *paths) s.server.route("/repo/" + p.filename().string() + query, {.body = test::read_file(p)});
    const std::string first = s.server.url("/repo/" + paths->front().filename().string() + query);
    const Run local = doctor("info " + quoted(paths->front().string()));
    const Run remote = doctor("info " + quoted(first));
    REQUIRE_MESSAGE(remote.status == 0, remote.err);
    CHECK(replaced(remote.out, first, "FILE") == replaced(local.out, paths->front().string(), "FILE"));
    for (const auto& p : *paths) {
        CAPTURE(p);
        CHECK(s.server.requests("/repo/" + p.filename().string() + query) >= 1);
        CHECK(s.server.requests("/repo/" + p.filename().string()) == 0);
    }
    // Any shard's URL finds the others; a fragment is not sent.
    const std::string second = s.server.url("/repo/" + (*paths)[1].filename().string() + query + "#part");
    const Run from_second = doctor("fit --json " + quoted(second));
    REQUIRE_MESSAGE(from_second.status == 0, from_second.err);
    const Run local_fit = doctor("fit --json " + quoted(paths->front().string()));
    auto a = nlohmann::json::parse(local_fit.out), b = nlohmann::json::parse(from_second.out);
    a.erase("file");
    b.erase("file");
    CHECK(a == b);
    // A shard that is missing is named with the query it was asked with.
    s.server.route("/repo/" + paths->back().filename().string() + query, {.status = 404});
    const Run missing = doctor("info " + quoted(first));
    CHECK(missing.status == 2);
    CHECK(missing.err.find(s.server.url("/repo/" + paths->back().filename().string() + query)) != std::string::npos);
}
