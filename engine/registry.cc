#include "engine/stage.h"

namespace pipe {

// Defaults for contexts that keep no results (test doubles); the engine's own
// context reads the store.
nlohmann::json StageContext::input_metrics(const InputRef&) const { return nullptr; }
nlohmann::json StageContext::input_table(const InputRef&, const std::string&) const { return nullptr; }

Registry& Registry::global() {
  static Registry registry;
  return registry;
}

void Registry::add(StageKind kind) {
  if (kind.uses_seed && !kind.schema.find("seed"))
    kind.schema.fields.push_back(integer("seed", nullptr, "random seed (default: the pipeline's seed)"));
  for (auto& k : kinds_)
    if (k.kind == kind.kind) {
      k = std::move(kind);
      return;
    }
  kinds_.push_back(std::move(kind));
}

const StageKind* Registry::find(const std::string& kind) const {
  for (const auto& k : kinds_)
    if (k.kind == kind) return &k;
  return nullptr;
}

std::vector<std::string> Registry::kinds() const {
  std::vector<std::string> out;
  for (const auto& k : kinds_) out.push_back(k.kind);
  return out;
}

}  // namespace pipe
