// The `split` stage kind (stages/split.cc).
#pragma once

#include "engine/stage.h"

namespace pipe {

StageKind split_stage_kind();

}  // namespace pipe
