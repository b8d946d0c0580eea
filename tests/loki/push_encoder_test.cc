#include "outputs/loki/push_encoder.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "tests/tools/loki_push_decode.h"

namespace logship {
namespace {

const StreamLabels kApp{R"({job="app"})", R"({"job":"app"})"};
const StreamLabels kDb{R"({job="db", level="warn"})", R"({"job":"db","level":"warn"})"};

TEST_CASE("protobuf push: streams keep their entries in order, decoded independently") {
  PushRequestBuilder builder(LokiEncoding::kProtobuf);
  builder.add(1, kApp, 1'700'000'000'123'456'789, "first");
  builder.add(2, kDb, 1'700'000'001'000'000'000, "other stream");
  builder.add(1, kApp, 1'700'000'000'123'456'790, "second");
  builder.add(1, kApp, 5, "");
  CHECK(builder.entries() == 4);
  CHECK(builder.bytes() > 0);
  std::string body;
  builder.encode(body);
  builder.clear();
  CHECK(builder.empty());

  std::string scratch;
  std::vector<loki_test::PushStream> streams;
  REQUIRE(loki_test::decode_push_protobuf(body, scratch, streams).empty());
  REQUIRE(streams.size() == 2);
  CHECK(streams[0].labels == kApp.text);
  REQUIRE(streams[0].entries.size() == 3);
  CHECK(streams[0].entries[0].timestamp_ns == 1'700'000'000'123'456'789);
  CHECK(streams[0].entries[0].line == "first");
  CHECK(streams[0].entries[1].line == "second");
  CHECK(streams[0].entries[2].timestamp_ns == 5);
  CHECK(streams[0].entries[2].line == "");
  CHECK(streams[1].labels == kDb.text);
  CHECK(streams[1].entries[0].line == "other stream");
}

TEST_CASE("invalid UTF-8 in a line is replaced so Loki accepts it") {
  PushRequestBuilder builder(LokiEncoding::kProtobuf);
  builder.add(1, kApp, 10, "ok \xC3\xA9 then bad \xFF\xFE end");
  std::string body;
  builder.encode(body);
  std::string scratch;
  std::vector<loki_test::PushStream> streams;
  REQUIRE(loki_test::decode_push_protobuf(body, scratch, streams).empty());
  const auto line = streams.at(0).entries.at(0).line;
  CHECK(loki_test::valid_utf8(line));
  CHECK(line == "ok \xC3\xA9 then bad \xEF\xBF\xBD\xEF\xBF\xBD end");
}

TEST_CASE("JSON push has Loki's shape and escapes lines") {
  PushRequestBuilder builder(LokiEncoding::kJson);
  builder.add(7, kApp, 42, "say \"hi\"\n");
  builder.add(8, kDb, 43, "x");
  builder.add(7, kApp, 44, "y");
  std::string body;
  builder.encode(body);
  CHECK(body ==
        R"({"streams":[{"stream":{"job":"app"},"values":[["42","say \"hi\"\n"],["44","y"]]},)"
        R"({"stream":{"job":"db","level":"warn"},"values":[["43","x"]]}]})");
  std::vector<loki_test::PushStream> streams;
  REQUIRE(loki_test::decode_push_json(body, streams).empty());
  CHECK(streams.at(0).entries.at(0).line == "say \"hi\"\n");
}

TEST_CASE("any range of a request's entries encodes as a push of exactly those entries") {
  const StreamLabels kWeb{R"({job="web"})", R"({"job":"web"})"};
  const StreamLabels* streams_of[] = {&kApp, &kApp, &kDb, &kApp, &kWeb, &kDb, &kDb, &kApp};
  constexpr uint32_t kEntries = 8;
  std::vector<std::string> lines;  // protobuf borrows them
  for (uint32_t i = 0; i < kEntries; ++i) lines.push_back("line " + std::to_string(i));
  for (LokiEncoding encoding : {LokiEncoding::kProtobuf, LokiEncoding::kJson}) {
    PushRequestBuilder builder(encoding);
    for (uint32_t i = 0; i < kEntries; ++i) {
      const uint32_t id = streams_of[i] == &kApp ? 1 : streams_of[i] == &kDb ? 2 : 3;
      builder.add(id, *streams_of[i], 100 + i, lines[i]);
    }
    for (uint32_t first = 0; first < kEntries; ++first) {
      for (uint32_t end = first + 1; end <= kEntries; ++end) {
        CAPTURE(encoding == LokiEncoding::kJson);
        CAPTURE(first);
        CAPTURE(end);
        std::string body;
        builder.encode(body, first, end);
        std::string scratch;
        std::vector<loki_test::PushStream> streams;
        const std::string error = encoding == LokiEncoding::kJson
                                      ? loki_test::decode_push_json(body, streams)
                                      : loki_test::decode_push_protobuf(body, scratch, streams);
        REQUIRE(error.empty());
        // Expected: the range's entries grouped by stream, streams in the order the
        // request first saw them.
        std::vector<std::pair<std::string, std::vector<std::string>>> expected;
        for (const StreamLabels* labels : {&kApp, &kDb, &kWeb}) {
          for (uint32_t i = first; i < end; ++i) {
            if (streams_of[i] != labels) continue;
            if (expected.empty() || expected.back().first != labels->text) {
              expected.push_back({labels->text, {}});
            }
            expected.back().second.push_back(lines[i]);
          }
        }
        std::vector<std::pair<std::string, std::vector<std::string>>> got;
        for (const auto& stream : streams) {
          std::vector<std::string> got_lines;
          for (const auto& entry : stream.entries) got_lines.emplace_back(entry.line);
          got.push_back({stream.labels, got_lines});
        }
        CHECK(got == expected);
      }
    }
  }
}

TEST_CASE("varints encode as protobuf expects") {
  std::string out;
  append_varint(out, 300);
  CHECK(out == "\xAC\x02");
  CHECK(varint_size(300) == 2);
  CHECK(varint_size(0) == 1);
  CHECK(varint_size(UINT64_MAX) == 10);
}

}  // namespace
}  // namespace logship

namespace logship {
namespace {

TEST_CASE("a cleared builder encodes only what was added after, reusing its buffers") {
  PushRequestBuilder builder(LokiEncoding::kProtobuf);
  builder.add(1, kApp, 10, "old");
  builder.add(2, kDb, 11, "old too");
  builder.clear();
  builder.add(2, kDb, 12, "new");
  std::string body = "previous content";
  builder.encode(body);
  std::string scratch;
  std::vector<loki_test::PushStream> streams;
  REQUIRE(loki_test::decode_push_protobuf(body, scratch, streams).empty());
  REQUIRE(streams.size() == 1);
  CHECK(streams[0].labels == kDb.text);
  REQUIRE(streams[0].entries.size() == 1);
  CHECK(streams[0].entries[0].line == "new");
}

TEST_CASE("a request larger than snappy's 64 KiB blocks, across many streams, round-trips") {
  PushRequestBuilder builder(LokiEncoding::kProtobuf);
  std::vector<StreamLabels> labels;
  for (int s = 0; s < 7; ++s) {
    labels.push_back({"{s=\"" + std::to_string(s) + "\"}", ""});
  }
  std::vector<std::string> lines;  // protobuf lines are borrowed until encode()
  for (int i = 0; i < 5000; ++i) {
    lines.push_back("line " + std::to_string(i) + std::string(i % 50, 'x'));
  }
  for (int i = 0; i < 5000; ++i) builder.add(i % 7, labels[i % 7], i, lines[i]);
  std::string body;
  builder.encode(body);
  std::string scratch;
  std::vector<loki_test::PushStream> streams;
  REQUIRE(loki_test::decode_push_protobuf(body, scratch, streams).empty());
  REQUIRE(streams.size() == 7);
  size_t total = 0;
  for (size_t s = 0; s < streams.size(); ++s) {
    CHECK(streams[s].labels == labels[s].text);
    for (size_t k = 0; k < streams[s].entries.size(); ++k) {
      const int i = static_cast<int>(k * 7 + s);
      CHECK(streams[s].entries[k].timestamp_ns == i);
      CHECK(streams[s].entries[k].line == "line " + std::to_string(i) + std::string(i % 50, 'x'));
    }
    total += streams[s].entries.size();
  }
  CHECK(total == 5000);
}

TEST_CASE("protobuf lines are borrowed: the builder holds a fraction of what it encodes") {
  const std::string line(250, 'x');
  PushRequestBuilder builder(LokiEncoding::kProtobuf, 1 << 20);
  for (int i = 0; i < 4000; ++i) builder.add(i % 3, kApp, i, line);
  CHECK(builder.bytes() > 4000 * line.size());
  CHECK(builder.buffer_bytes() > 0);
  CHECK(builder.buffer_bytes() < builder.bytes() / 5);
  const uint64_t held = builder.buffer_bytes();
  builder.clear();
  CHECK(builder.buffer_bytes() == held);  // kept for the next request

  PushRequestBuilder small_keep(LokiEncoding::kJson, 1024);
  for (int i = 0; i < 100; ++i) small_keep.add(1, kApp, i, line);
  CHECK(small_keep.buffer_bytes() > 100 * line.size());  // JSON escapes, so it copies
  small_keep.clear();
  CHECK(small_keep.buffer_bytes() < 1024);  // grew past keep_bytes: given back
}

}  // namespace
}  // namespace logship
