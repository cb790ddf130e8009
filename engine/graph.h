// Graph — a pipeline's stages, validated, with edges by artifact name.
//
// build() checks everything that can be checked without running: each stage
// kind exists, its keys validate against the kind's schema, every input names
// an existing stage output, and the stages form no cycle.  Errors are
// ConfigErrors at the YAML position (or the --set option) at fault.
#pragma once

#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/schema.h"
#include "engine/stage.h"

namespace pipe {

struct Edge {
  std::string param;   // JSON pointer of the input parameter ("/input", "/inputs/1")
  int producer = -1;   // index into Graph::stages()
  std::string output;  // producer's output name, "" for a single output
};

struct GraphStage {
  StageSpec spec;
  const StageKind* kind = nullptr;
  nlohmann::json params;  // validated, defaults filled, paths absolute
  MarkTable marks;
  std::vector<Edge> inputs;
  std::vector<int> deps;  // distinct producers
};

class Graph {
 public:
  static Graph build(const PipelineSpec& pipeline, const Registry& registry);

  const PipelineSpec& pipeline() const { return pipeline_; }
  const std::vector<GraphStage>& stages() const { return stages_; }
  // Stages in an order where producers come before consumers (file order
  // among independent stages).
  const std::vector<int>& order() const { return order_; }
  int index_of(const std::string& id) const;
  // The pipeline cut down to stage `id` and every stage it depends on, in
  // file order (what `pipe run --until ID` runs).  `id` must exist.
  PipelineSpec upstream_of(const std::string& id) const;
  // GraphViz dot of the stage DAG.
  std::string dot() const;

 private:
  PipelineSpec pipeline_;
  std::vector<GraphStage> stages_;
  std::vector<int> order_;
};

// Calls fn(pointer, value) for every value of a field of `type` in a
// validated parameter tree (walking lists and nested mappings); the second
// form passes the field too.
void visit_fields(const nlohmann::json& params, const Schema& schema, FieldType type,
                  const std::function<void(const std::string&, const nlohmann::json&)>& fn);
void visit_fields(const nlohmann::json& params, const Schema& schema, FieldType type,
                  const std::function<void(const std::string&, const Field&, const nlohmann::json&)>& fn);

// The parameters that make the cache key: `params` without the fields whose
// KeyRule leaves them out (kNever; kUnlessDefault at its default), at any depth.
nlohmann::json keyed_params(const nlohmann::json& params, const Schema& schema);

}  // namespace pipe
