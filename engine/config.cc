#include "engine/config.h"

#include <filesystem>
#include <set>

#include "engine/paths.h"
#include "engine/schema.h"

namespace pipe {

const StageSpec* PipelineSpec::find(const std::string& id) const {
  for (const auto& s : stages)
    if (s.id == id) return &s;
  return nullptr;
}

namespace {

// The most runs one experiment file may describe (a grid multiplies).
constexpr size_t kMaxRuns = 10000;

const Node& require(const Node& map, const std::string& key, const std::string& hint) {
  const Node* n = map.find(key);
  if (!n) throw ConfigError("missing required key '" + key + "'").at(map.mark()).hint(hint);
  return *n;
}

std::string scalar(const Node& n, const std::string& what) {
  if (!n.is_scalar()) throw ConfigError(what + ": expected a string, got " + n.type_name()).at(n.mark());
  return n.text();
}

long long integer_of(const Node& n, const std::string& what) {
  if (n.is_scalar()) {
    json v = to_json(n, nullptr, "");
    if (v.is_number_integer()) return v.get<long long>();
  }
  throw ConfigError(what + ": expected an integer, got " +
                    (n.is_scalar() ? "'" + n.text() + "'" : std::string(n.type_name())))
      .at(n.mark());
}

void check_keys(const Node& map, const std::vector<std::string>& known, const std::string& what) {
  if (!map.is_map()) throw ConfigError(what + ": expected a mapping, got " + map.type_name()).at(map.mark());
  for (const auto& e : map.entries()) {
    bool ok = false;
    for (const auto& k : known) ok |= k == e.key;
    if (ok) continue;
    std::string msg = "unknown key '" + e.key + "'";
    std::string near = closest(e.key, known);
    if (!near.empty()) msg += " (did you mean '" + near + "'?)";
    throw ConfigError(msg).at(e.key_mark).hint("known keys in " + what + ": " + join(known));
  }
}

PipelineSpec pipeline_from(const Node& root, const std::string& file) {
  if (root.is_null())
    throw ConfigError("the file is empty")
        .at(root.mark())
        .hint(
            "a pipeline has stages: (and optionally name:, seed:); an experiment has pipeline: and "
            "variants:");
  check_keys(root, {"name", "seed", "stages"}, "a pipeline");
  PipelineSpec p;
  p.file = absolute_path(file);
  p.name = root.find("name") ? scalar(*root.find("name"), "name") : file_stem(file);
  if (const Node* seed = root.find("seed")) p.seed = integer_of(*seed, "seed");
  const Node& stages = require(root, "stages", "a pipeline needs a list of stages");
  if (!stages.is_sequence())
    throw ConfigError(std::string("stages: expected a list, got ") + stages.type_name()).at(stages.mark());
  if (stages.items().empty())
    throw ConfigError("stages: the list is empty")
        .at(stages.mark())
        .hint("a pipeline needs at least one stage");
  for (const Node& entry : stages.items()) {
    if (!entry.is_map())
      throw ConfigError(std::string("a stage must be a mapping with id and kind, got ") + entry.type_name())
          .at(entry.mark());
    StageSpec s;
    s.mark = entry.mark();
    const Node& id = require(entry, "id", "every stage needs an id");
    const Node& kind = require(entry, "kind", "every stage needs a kind");
    s.id = scalar(id, "id");
    s.kind = scalar(kind, "kind");
    s.id_mark = id.mark();
    s.kind_mark = kind.mark();
    if (s.id.empty() || s.id.find_first_of(". /#") != std::string::npos)
      throw ConfigError("stage id '" + s.id + "' must be a plain name")
          .at(id.mark())
          .hint("ids may not contain '.', '/', '#' or spaces");
    for (const auto& earlier : p.stages)
      if (earlier.id == s.id)
        throw ConfigError("duplicate stage id '" + s.id + "' (first defined at line " +
                          std::to_string(earlier.id_mark.line) + ")")
            .at(id.mark())
            .hint("every stage needs its own id");
    s.params = Node::map(entry.mark());
    s.params.set_base_dir(entry.base_dir());
    for (const auto& e : entry.entries())
      if (e.key != "id" && e.key != "kind") s.params.entries().push_back(e);
    p.stages.push_back(std::move(s));
  }
  return p;
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

Mark set_mark(const std::string& key) { return Mark{"--set " + key, 0, 0}; }

// "+train.epochs=1": what a --set adds to a run's name, so a quick trial with
// changed parameters never takes over the plain name.  A path value shows its
// file name; spaces go, and '#' (which numbers runs) becomes '_'.
std::string override_suffix(const Override& o) {
  std::string value = to_flow(o.value);
  if (size_t slash = value.find_last_of('/'); slash != std::string::npos && slash + 1 < value.size())
    value = value.substr(slash + 1);
  std::string shown;
  for (char c : value)
    if (c != ' ') shown += c == '#' || c == '/' ? '_' : c;
  return "+" + o.key + "=" + shown;
}

}  // namespace

PipelineSpec load_pipeline(const std::string& file) { return pipeline_from(load_yaml_file(file), file); }

Override parse_set(const std::string& arg) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("expected KEY=VALUE, e.g. train.epochs=3").at("--set " + arg);
  Override o;
  o.key = arg.substr(0, eq);
  o.key_mark = set_mark(o.key);
  Node value;
  try {
    value = parse_yaml(arg.substr(eq + 1), "--set " + o.key);
  } catch (const Error& e) {
    std::string what = e.message();
    if (what.rfind("malformed YAML: ", 0) == 0) what = what.substr(16);
    throw ConfigError("the value is not valid YAML: " + what).at("--set " + o.key);
  }
  // Every position in a --set value points at the option itself.
  value.relocate(o.key_mark);
  o.value = value;
  o.value.set_base_dir(absolute_path("."));
  return o;
}

void apply_override(PipelineSpec& pipeline, const Override& o) {
  std::vector<std::string> parts = split_key(o.key);
  for (const auto& p : parts)
    if (p.empty()) throw ConfigError("empty part in key '" + o.key + "'").at(o.key_mark);
  if (parts.size() == 1 && parts[0] == "seed") {
    pipeline.seed = integer_of(o.value, "seed");
    return;
  }
  if (parts.size() == 1 && parts[0] == "name") {
    pipeline.name = scalar(o.value, "name");
    return;
  }
  StageSpec* stage = nullptr;
  for (auto& s : pipeline.stages)
    if (s.id == parts[0]) stage = &s;
  if (!stage) {
    std::vector<std::string> ids;
    for (const auto& s : pipeline.stages) ids.push_back(s.id);
    std::string msg = "no stage '" + parts[0] + "' in pipeline '" + pipeline.name + "'";
    std::string near = closest(parts[0], ids);
    if (!near.empty()) msg += " (did you mean '" + near + "'?)";
    throw ConfigError(msg).at(o.key_mark).hint("stages: " + join(ids) + "; or the top-level keys seed, name");
  }
  if (parts.size() == 1)
    throw ConfigError("override a key of stage '" + parts[0] + "', e.g. " + parts[0] + ".<key>=VALUE")
        .at(o.key_mark);
  if (parts[1] == "id" || parts[1] == "kind")
    throw ConfigError("the " + parts[1] + " of a stage cannot be overridden").at(o.key_mark);
  Node* target = &stage->params;
  for (size_t i = 1; i + 1 < parts.size(); ++i) {
    Node* next = target->find(parts[i]);
    if (!next) {
      Node child = Node::map(o.key_mark);
      target->set(parts[i], child, o.key_mark);
      next = target->find(parts[i]);
    } else if (next->is_null()) {
      *next = Node::map(o.key_mark);
    } else if (!next->is_map()) {
      throw ConfigError("'" + join(std::vector<std::string>(parts.begin(), parts.begin() + i + 1), ".") +
                        "' is " + next->type_name() + ", not a mapping")
          .at(o.key_mark);
    }
    target = next;
  }
  target->set(parts.back(), o.value, o.key_mark);
}

std::vector<RunSpec> expand_runs(const std::string& file, const ExpandOptions& options) {
  Node root = load_yaml_file(file);
  std::vector<RunSpec> runs;
  auto finish = [&](RunSpec run) {
    run.plain_name = run.name;
    for (const auto& o : options.sets) {
      apply_override(run.pipeline, o);
      run.overrides.emplace_back(o.key, to_flow(o.value));
      if (options.name.empty()) run.name += override_suffix(o);
    }
    runs.push_back(std::move(run));
  };

  if (!root.is_map() || !root.find("pipeline")) {
    if (!options.variant.empty())
      throw ConfigError("--variant needs an experiment file (with pipeline: and variants:)")
          .at(display_path(file))
          .hint("run the experiment that names this pipeline, or drop --variant");
    RunSpec run;
    run.pipeline = pipeline_from(root, file);
    run.name = options.name.empty() ? run.pipeline.name : options.name;
    run.seed = run.pipeline.seed;
    finish(std::move(run));
    for (auto& r : runs) r.seed = r.pipeline.seed;
    return runs;
  }

  check_keys(root, {"name", "pipeline", "variants", "grid", "seeds"}, "an experiment");
  std::string experiment = root.find("name") ? scalar(*root.find("name"), "name") : file_stem(file);
  const Node& pipeline_node = *root.find("pipeline");
  std::string pipeline_file = resolve_path(pipeline_node.base_dir(), scalar(pipeline_node, "pipeline"));
  if (!std::filesystem::exists(pipeline_file))
    throw ConfigError("pipeline file not found: " + display_path(pipeline_file)).at(pipeline_node.mark());
  PipelineSpec base = load_pipeline(pipeline_file);

  // Variants: name → overrides.  No variants means one unnamed variant.
  std::vector<std::pair<std::string, std::vector<Override>>> variants;
  if (const Node* v = root.find("variants")) {
    if (!v->is_map())
      throw ConfigError(std::string("variants: expected a mapping, got ") + v->type_name()).at(v->mark());
    for (const auto& e : v->entries()) {
      std::vector<Override> overrides;
      if (!e.value.is_map() && !e.value.is_null())
        throw ConfigError("variant '" + e.key +
                          "': expected a mapping of dotted keys, e.g. { train.epochs: 3 }")
            .at(e.value.mark());
      for (const auto& kv : e.value.entries()) overrides.push_back({kv.key, kv.value, kv.key_mark});
      variants.emplace_back(e.key, std::move(overrides));
    }
  }
  if (variants.empty()) variants.emplace_back("", std::vector<Override>{});
  if (!options.variant.empty()) {
    std::vector<std::string> names;
    for (const auto& v : variants) names.push_back(v.first);
    auto it = std::find_if(variants.begin(), variants.end(),
                           [&](const auto& v) { return v.first == options.variant; });
    if (it == variants.end())
      throw ConfigError("no variant '" + options.variant + "' in " + display_path(file))
          .at("--variant")
          .hint("variants: " + join(names));
    variants = {*it};
  }

  // Grid: cartesian product of value lists, first key varying slowest.
  std::vector<std::vector<Override>> points{{}};
  if (const Node* g = root.find("grid")) {
    if (!g->is_map())
      throw ConfigError(std::string("grid: expected a mapping, got ") + g->type_name()).at(g->mark());
    for (const auto& e : g->entries()) {
      if (!e.value.is_sequence() || e.value.items().empty())
        throw ConfigError("grid '" + e.key + "': expected a non-empty list of values").at(e.value.mark());
      if (points.size() * e.value.items().size() > kMaxRuns)
        throw ConfigError("the grid has more than " + std::to_string(kMaxRuns) + " points")
            .at(e.value.mark())
            .hint("split the experiment, or grid fewer keys at once");
      std::vector<std::vector<Override>> next;
      for (const auto& p : points)
        for (const auto& value : e.value.items()) {
          auto q = p;
          q.push_back({e.key, value, e.key_mark});
          next.push_back(std::move(q));
        }
      points = std::move(next);
    }
  }
  bool has_grid = root.find("grid") != nullptr;
  if (options.point >= 0 && (!has_grid || options.point >= static_cast<int>(points.size())))
    throw ConfigError("--point " + std::to_string(options.point) + " is out of range")
        .at("--point")
        .hint(has_grid ? "points: 0.." + std::to_string(points.size() - 1) : "this experiment has no grid");

  std::vector<long long> seeds;
  if (const Node* s = root.find("seeds")) {
    if (!s->is_sequence() || s->items().empty())
      throw ConfigError("seeds: expected a non-empty list of integers").at(s->mark());
    for (const auto& item : s->items()) seeds.push_back(integer_of(item, "seeds"));
  }
  if (variants.size() * seeds.size() * points.size() > kMaxRuns)
    throw ConfigError("the experiment describes " +
                      std::to_string(variants.size() * seeds.size() * points.size()) + " runs, more than " +
                      std::to_string(kMaxRuns))
        .at(root.mark())
        .hint("variants × seeds × grid points; split the experiment");
  bool several_seeds = seeds.size() > 1;
  bool seeds_listed = !seeds.empty();
  if (!seeds_listed) seeds.push_back(0);  // keep the pipeline's (or a variant's) seed

  for (const auto& [variant, overrides] : variants)
    for (long long seed : seeds)
      for (size_t pi = 0; pi < points.size(); ++pi) {
        if (options.point >= 0 && static_cast<int>(pi) != options.point) continue;
        RunSpec run;
        run.experiment = experiment;
        run.variant = variant;
        run.pipeline = base;
        run.name = options.name.empty() ? experiment : options.name;  // --name renames the series
        if (!variant.empty()) run.name += "/" + variant;
        for (const auto& o : overrides) {
          apply_override(run.pipeline, o);
          run.overrides.emplace_back(o.key, to_flow(o.value));
        }
        if (has_grid) {
          run.point = static_cast<int>(pi);
          for (const auto& o : points[pi]) {
            apply_override(run.pipeline, o);
            run.overrides.emplace_back(o.key, to_flow(o.value));
          }
        }
        if (seeds_listed) run.pipeline.seed = seed;
        if (several_seeds) run.name += "/seed" + std::to_string(seed);
        if (has_grid) run.name += "/p" + std::to_string(pi);
        finish(std::move(run));
        runs.back().seed = runs.back().pipeline.seed;
      }
  return runs;
}

}  // namespace pipe
