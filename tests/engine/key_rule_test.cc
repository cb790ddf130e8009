// Which parameters make a stage's cache key: KeyRule.
#include <catch2/catch.hpp>

#include "engine/graph.h"
#include "engine/schema.h"

using namespace pipe;

TEST_CASE("fields left out of the cache key, at any depth", "[key]") {
  Schema inner({integer("a", 1, ""), not_keyed(integer("threads", 1, ""))});
  Schema schema({
      integer("epochs", 3, ""),
      keyed_unless_default(integer("max_pixels", 100, "")),
      not_keyed(mapping("resources", Schema({integer("cpus", 1, "")}), "")),
      mapping("inner", inner, ""),
      list_of("items", mapping("items", inner, ""), nullptr, ""),
  });
  json at_default = {{"epochs", 3}, {"max_pixels", 100}, {"resources", {{"cpus", 2}}},
                     {"inner", {{"a", 1}, {"threads", 4}}}, {"items", {{{"a", 2}, {"threads", 8}}}}};
  CHECK(keyed_params(at_default, schema).dump() ==
        R"({"epochs":3,"inner":{"a":1},"items":[{"a":2}]})");
  json changed = at_default;
  changed["max_pixels"] = 50;
  CHECK(keyed_params(changed, schema).dump() ==
        R"({"epochs":3,"inner":{"a":1},"items":[{"a":2}],"max_pixels":50})");
}
