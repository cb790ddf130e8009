#include "engine/graph.h"

#include <algorithm>
#include <functional>
#include <map>

namespace pipe {

namespace {

using FieldVisitor = std::function<void(const std::string&, const Field&, const nlohmann::json&)>;

void visit_field(const nlohmann::json& value, const Field& f, FieldType type, const std::string& ptr,
                 const FieldVisitor& fn) {
  if (value.is_null()) return;
  if (f.type == type) {
    fn(ptr, f, value);
    return;
  }
  if (f.type == FieldType::kList && value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i)
      visit_field(value[i], *f.element, type, ptr + "/" + std::to_string(i), fn);
  } else if (f.type == FieldType::kMap && value.is_object()) {
    for (const auto& sub : f.schema->fields)  // pointers stay absolute: they index marks and keys
      if (value.contains(sub.name)) visit_field(value[sub.name], sub, type, ptr + "/" + sub.name, fn);
  }
}

}  // namespace

void visit_fields(const nlohmann::json& params, const Schema& schema, FieldType type, const FieldVisitor& fn) {
  for (const auto& f : schema.fields)
    if (params.contains(f.name)) visit_field(params[f.name], f, type, "/" + f.name, fn);
}

nlohmann::json keyed_params(const nlohmann::json& params, const Schema& schema) {
  if (!params.is_object()) return params;
  nlohmann::json out = params;
  for (const auto& f : schema.fields) {
    if (!out.contains(f.name)) continue;
    nlohmann::json& v = out[f.name];
    if (f.key == KeyRule::kNever || (f.key == KeyRule::kUnlessDefault && v == f.default_value)) {
      out.erase(f.name);
    } else if (f.type == FieldType::kMap && f.schema) {
      v = keyed_params(v, *f.schema);
    } else if (f.type == FieldType::kList && f.element && f.element->type == FieldType::kMap && v.is_array()) {
      for (auto& e : v) e = keyed_params(e, *f.element->schema);
    }
  }
  return out;
}

void visit_fields(const nlohmann::json& params, const Schema& schema, FieldType type,
                  const std::function<void(const std::string&, const nlohmann::json&)>& fn) {
  visit_fields(params, schema, type, [&](const std::string& ptr, const Field&, const nlohmann::json& v) { fn(ptr, v); });
}

int Graph::index_of(const std::string& id) const {
  for (size_t i = 0; i < stages_.size(); ++i)
    if (stages_[i].spec.id == id) return static_cast<int>(i);
  return -1;
}

PipelineSpec Graph::upstream_of(const std::string& id) const {
  std::vector<bool> keep(stages_.size(), false);
  std::vector<int> todo = {index_of(id)};
  while (!todo.empty()) {
    int i = todo.back();
    todo.pop_back();
    if (keep[i]) continue;
    keep[i] = true;
    for (int d : stages_[i].deps) todo.push_back(d);
  }
  PipelineSpec cut = pipeline_;
  cut.stages.clear();
  for (size_t i = 0; i < stages_.size(); ++i)
    if (keep[i]) cut.stages.push_back(stages_[i].spec);
  return cut;
}

Graph Graph::build(const PipelineSpec& pipeline, const Registry& registry) {
  Graph g;
  g.pipeline_ = pipeline;
  std::vector<std::string> ids;
  for (const auto& s : pipeline.stages) ids.push_back(s.id);

  for (const auto& spec : pipeline.stages) {
    GraphStage gs;
    gs.spec = spec;
    gs.kind = registry.find(spec.kind);
    if (!gs.kind) {
      std::string msg = "unknown stage kind '" + spec.kind + "'";
      std::string near = closest(spec.kind, registry.kinds());
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      throw ConfigError(msg).at(spec.kind_mark).hint("known kinds: " + join(registry.kinds()));
    }
    try {
      gs.params = validate(spec.params, gs.kind->schema, &gs.marks, "", {"id", "kind"});
    } catch (Error& e) {
      throw e.context("stage '" + spec.id + "'");
    }
    if (gs.kind->uses_seed && gs.params["seed"].is_null()) gs.params["seed"] = pipeline.seed;
    g.stages_.push_back(std::move(gs));
  }

  // Resolve inputs now that every stage is known.
  for (auto& gs : g.stages_) {
    visit_fields(
        gs.params, gs.kind->schema, FieldType::kInput, [&](const std::string& ptr, const nlohmann::json& v) {
          std::string ref = v.get<std::string>();
          Mark mark = gs.marks.count(ptr) ? gs.marks[ptr] : gs.spec.mark;
          size_t dot = ref.find('.');
          std::string id = ref.substr(0, dot);
          std::string output = dot == std::string::npos ? "" : ref.substr(dot + 1);
          int producer = g.index_of(id);
          if (producer < 0) {
            std::string msg = "stage '" + gs.spec.id + "': " + ptr.substr(1) + ": no stage '" + id + "'";
            std::string near = closest(id, ids);
            if (!near.empty()) msg += " (did you mean '" + near + "'?)";
            throw ConfigError(msg).at(mark).hint("stages: " + join(ids));
          }
          const auto& outs = g.stages_[producer].kind->outputs;
          if (output.empty() && outs.size() > 1)
            throw ConfigError("stage '" + gs.spec.id + "': " + ptr.substr(1) + ": stage '" + id +
                              "' has several outputs; name one")
                .at(mark)
                .hint("write one of: " + id + "." + join(outs, ", " + id + "."));
          if (!output.empty() && std::find(outs.begin(), outs.end(), output) == outs.end())
            throw ConfigError("stage '" + gs.spec.id + "': " + ptr.substr(1) + ": stage '" + id +
                              "' has no output '" + output + "'")
                .at(mark)
                .hint(outs.empty() ? "write just '" + id + "'" : "outputs: " + join(outs));
          if (outs.size() == 1 && output.empty()) output = outs[0];
          gs.inputs.push_back({ptr, producer, output});
          if (std::find(gs.deps.begin(), gs.deps.end(), producer) == gs.deps.end())
            gs.deps.push_back(producer);
        });
  }

  // Topological order by depth-first search; a back edge is a cycle.  The
  // cycle is printed in data-flow order (producer -> consumer), at the input
  // that closes it.
  enum { kNew, kActive, kDone };
  std::vector<int> state(g.stages_.size(), kNew);
  std::vector<int> path;
  std::function<void(int)> visit = [&](int i) {
    if (state[i] == kDone) return;
    if (state[i] == kActive) {
      auto start = std::find(path.begin(), path.end(), i);
      std::string cycle = g.stages_[i].spec.id;
      for (auto it = path.rbegin(); it != std::make_reverse_iterator(start); ++it)
        cycle += " -> " + g.stages_[*it].spec.id;
      const GraphStage& reader = g.stages_[path.back()];
      Mark mark = reader.spec.id_mark;
      for (const auto& e : reader.inputs)
        if (e.producer == i && reader.marks.count(e.param)) {
          mark = reader.marks.at(e.param);
          break;
        }
      throw ConfigError("cycle in stage inputs: " + cycle)
          .at(mark)
          .hint("a stage cannot read its own output, directly or through other stages");
    }
    state[i] = kActive;
    path.push_back(i);
    for (int d : g.stages_[i].deps) visit(d);
    path.pop_back();
    state[i] = kDone;
  };
  for (size_t i = 0; i < g.stages_.size(); ++i) visit(static_cast<int>(i));

  // No cycle: order by repeatedly taking the first stage in file order whose
  // producers are all placed, so independent stages keep the file's order.
  std::vector<bool> placed(g.stages_.size(), false);
  while (g.order_.size() < g.stages_.size()) {
    for (size_t i = 0; i < g.stages_.size(); ++i) {
      if (placed[i]) continue;
      bool ready = true;
      for (int d : g.stages_[i].deps) ready = ready && placed[d];
      if (!ready) continue;
      placed[i] = true;
      g.order_.push_back(static_cast<int>(i));
      break;
    }
  }
  return g;
}

std::string Graph::dot() const {
  std::string out =
      "digraph \"" + pipeline_.name + "\" {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n";
  for (const auto& s : stages_)
    out += "  \"" + s.spec.id + "\" [label=\"" + s.spec.id + "\\n(" + s.spec.kind + ")\"];\n";
  for (const auto& s : stages_)
    for (const auto& e : s.inputs) {
      out += "  \"" + stages_[e.producer].spec.id + "\" -> \"" + s.spec.id + "\"";
      if (!e.output.empty() && stages_[e.producer].kind->outputs.size() > 1)
        out += " [label=\"" + e.output + "\"]";
      out += ";\n";
    }
  return out + "}\n";
}

}  // namespace pipe
