// The `augment` stage kind (stages/augment.cc).
#pragma once

#include "engine/stage.h"

namespace pipe {

StageKind augment_stage_kind();

}  // namespace pipe
