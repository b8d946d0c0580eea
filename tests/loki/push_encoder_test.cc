#include "outputs/loki/push_encoder.h"

#include <doctest/doctest.h>

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
  std::string body = builder.finish();
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
  std::string body = builder.finish();
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
  std::string body = builder.finish();
  CHECK(body ==
        R"({"streams":[{"stream":{"job":"app"},"values":[["42","say \"hi\"\n"],["44","y"]]},)"
        R"({"stream":{"job":"db","level":"warn"},"values":[["43","x"]]}]})");
  std::vector<loki_test::PushStream> streams;
  REQUIRE(loki_test::decode_push_json(body, streams).empty());
  CHECK(streams.at(0).entries.at(0).line == "say \"hi\"\n");
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
