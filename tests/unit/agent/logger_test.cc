#include "agent/logger.h"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace logship {
namespace {

using namespace std::chrono_literals;

// A logger writing into `lines`, on a clock the test moves.
struct Fixture {
  std::vector<std::string> lines;
  Logger::Clock::time_point now = Logger::Clock::time_point(1'700'000'000'123ms);

  Logger make(LogFormat format = LogFormat::kLogfmt, bool journal = false,
              LogLevel level = LogLevel::kInfo) {
    return Logger({.level = level,
                   .format = format,
                   .journal = journal,
                   .repeat_interval = 10s,
                   .write = [this](std::string_view line) { lines.emplace_back(line); },
                   .now = [this] { return now; }});
  }
};

TEST_CASE("a logfmt line has ts, level, msg and fields, quoting only where needed") {
  Fixture f;
  Logger log = f.make();
  log.log(LogLevel::kWarn, "output retrying",
          {{"output", "loki"}, {"status", 503}, {"error", "connection refused"}, {"empty", ""}});
  REQUIRE(f.lines.size() == 1);
  CHECK(f.lines[0] ==
        "ts=2023-11-14T22:13:20.123Z level=warn msg=\"output retrying\" output=loki status=503 "
        "error=\"connection refused\" empty=\"\"\n");
}

TEST_CASE("a JSON line is one object with escaped strings and invalid UTF-8 replaced") {
  Fixture f;
  Logger log = f.make(LogFormat::kJson);
  log.log(LogLevel::kError, "bad \"file\"", {{"path", std::string("/a\n\xff\x01")}});
  REQUIRE(f.lines.size() == 1);
  CHECK(f.lines[0] ==
        "{\"ts\":\"2023-11-14T22:13:20.123Z\",\"level\":\"error\",\"msg\":\"bad \\\"file\\\"\","
        "\"path\":\"/a\\n\xEF\xBF\xBD\\u0001\"}\n");
}

TEST_CASE("under journald there is no timestamp and a syslog priority prefix") {
  Fixture f;
  Logger log = f.make(LogFormat::kLogfmt, true);
  log.log(LogLevel::kError, "checkpoint write failed");
  log.log(LogLevel::kInfo, "started");
  CHECK(f.lines == std::vector<std::string>{"<3>level=error msg=\"checkpoint write failed\"\n",
                                            "<6>level=info msg=started\n"});
}

TEST_CASE("messages below the level are not written") {
  Fixture f;
  Logger log = f.make(LogFormat::kLogfmt, false, LogLevel::kWarn);
  log.log(LogLevel::kInfo, "noise");
  log.log(LogLevel::kDebug, "more noise");
  CHECK(f.lines.empty());
  CHECK_FALSE(log.enabled(LogLevel::kInfo));
  CHECK(log.enabled(LogLevel::kError));
}

TEST_CASE("repeats within the interval are counted and reported with the next line") {
  Fixture f;
  Logger log = f.make(LogFormat::kLogfmt, true);
  for (int i = 0; i < 5; ++i) log.log(LogLevel::kWarn, "spool full", {{"dropped", i}});
  log.log(LogLevel::kWarn, "another message");
  CHECK(f.lines.size() == 2);
  f.now += 10s;
  log.log(LogLevel::kWarn, "spool full", {{"dropped", 9}});
  REQUIRE(f.lines.size() == 3);
  CHECK(f.lines[2] == "<4>level=warn msg=\"spool full\" dropped=9 repeated=4\n");
}

TEST_CASE("flush_repeats reports messages that stopped recurring") {
  Fixture f;
  Logger log = f.make(LogFormat::kLogfmt, true);
  log.log(LogLevel::kWarn, "loki 429");
  log.log(LogLevel::kWarn, "loki 429");
  log.log(LogLevel::kWarn, "loki 429");
  log.flush_repeats();
  log.flush_repeats();  // nothing new to report
  CHECK(f.lines == std::vector<std::string>{"<4>level=warn msg=\"loki 429\"\n",
                                            "<4>level=warn msg=\"loki 429\" repeated=2\n"});
}

TEST_CASE("a flushed count carries the fields its repeats shared, and only those") {
  Fixture f;
  Logger log = f.make(LogFormat::kLogfmt, true);
  log.log(LogLevel::kWarn, "push failed", {{"output", "loki"}, {"retry_in_ms", 10}});
  log.log(LogLevel::kWarn, "push failed", {{"output", "loki"}, {"retry_in_ms", 20}});
  log.log(LogLevel::kWarn, "push failed", {{"output", "loki"}, {"retry_in_ms", 40}});
  log.flush_repeats();
  REQUIRE(f.lines.size() == 2);
  CHECK(f.lines[1] == "<4>level=warn msg=\"push failed\" output=loki repeated=2\n");
  // The next episode starts afresh: a field that varied before may be shared now.
  f.now += 10s;
  log.log(LogLevel::kWarn, "push failed", {{"output", "a"}, {"retry_in_ms", 10}});
  log.log(LogLevel::kWarn, "push failed", {{"output", "b"}, {"retry_in_ms", 10}});
  log.flush_repeats();
  CHECK(f.lines.back() == "<4>level=warn msg=\"push failed\" output=b retry_in_ms=10 repeated=1\n");
}

TEST_CASE("levels and formats parse from their config spelling") {
  CHECK(parse_log_level("warn") == LogLevel::kWarn);
  CHECK_FALSE(parse_log_level("verbose"));
  CHECK(parse_log_format("json") == LogFormat::kJson);
  CHECK_FALSE(parse_log_format("text"));
}

TEST_CASE("JOURNAL_STREAM counts only when it names our stderr") {
  ::unsetenv("JOURNAL_STREAM");
  CHECK_FALSE(stderr_is_journal());
  ::setenv("JOURNAL_STREAM", "1:1", 1);
  CHECK_FALSE(stderr_is_journal());
  struct stat st {};
  REQUIRE(::fstat(STDERR_FILENO, &st) == 0);
  const std::string ours = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  ::setenv("JOURNAL_STREAM", ours.c_str(), 1);
  CHECK(stderr_is_journal());
  ::unsetenv("JOURNAL_STREAM");
}

}  // namespace
}  // namespace logship
