// pipe::Error's serialisable form: what crosses from the thread or process
// that ran a stage to the one that reports it.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "engine/error.h"

using namespace pipe;
using json = nlohmann::json;

TEST_CASE("an error survives to_json and from_json whole", "[error]") {
  Error e = ConfigError("must be at least 1");
  e.at(Mark{"p.yaml", 7, 12}).hint("epochs: passes over the training set").context("layer conv1").context("stage 'train'");
  json j = e.to_json();
  CHECK(j == json{{"message", "must be at least 1"},
                  {"where", "p.yaml:7:12"},
                  {"hint", "epochs: passes over the training set"},
                  {"context", {"stage 'train'", "layer conv1"}},
                  {"kind", 2}});
  Error back = Error::from_json(json::parse(j.dump()));
  CHECK(back.format() == "pipe: error: p.yaml:7:12: stage 'train': layer conv1: must be at least 1\n"
                         "  epochs: passes over the training set");
  CHECK(back.format() == e.format());
  CHECK(back.kind() == ErrorKind::kConfig);
  CHECK(back.contexts() == e.contexts());
  CHECK(back.to_json() == j);

  // A bare error stays bare.
  Error bare = Error::from_json(Error("boom").to_json());
  CHECK(bare.format() == "pipe: error: boom");
  CHECK(bare.exit_code() == 1);
}

TEST_CASE("a damaged serialised error is refused clearly", "[error]") {
  auto refusal = [](const json& j) {
    try {
      Error::from_json(j);
    } catch (const Error& e) {
      return e.format();
    }
    return std::string("accepted");
  };
  json good = Error("boom").to_json();
  CHECK(refusal(json::array()) == "pipe: error: not a serialised error: expected an object, got []");
  json no_kind = good;
  no_kind.erase("kind");
  CHECK(refusal(no_kind) == "pipe: error: not a serialised error: 'kind' must be 1, 2 or 3, got nothing");
  json bad_kind = good;
  bad_kind["kind"] = "2";
  CHECK(refusal(bad_kind) == "pipe: error: not a serialised error: 'kind' must be 1, 2 or 3, got \"2\"");
  json no_hint = good;
  no_hint.erase("hint");
  CHECK(refusal(no_hint) == "pipe: error: not a serialised error: 'hint' is not text");
  json bad_context = good;
  bad_context["context"] = {"stage 'a'", 3};
  CHECK(refusal(bad_context) == "pipe: error: not a serialised error: 'context' holds 3");
}
