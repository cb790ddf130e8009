#include "stages/nn/net.h"

#include "engine/error.h"

namespace pipe::nn {

Net::Net() = default;
Net::~Net() = default;

std::unique_ptr<Net> Net::build(const nlohmann::json&, InputShape, int, uint64_t, int) {
  throw Error("the neural-net core is being built");
}

}  // namespace pipe::nn
