// The `clean` stage kind (stages/clean.cc).
#pragma once

#include "engine/stage.h"

namespace pipe {

StageKind clean_stage_kind();

}  // namespace pipe
