// Fake stage kinds for the engine's tests: they move text around, record
// metrics and epochs, fail, sleep, or kill their own process, so the engine
// can be tested without images or neural nets.
#pragma once

namespace pipe::fake {
void register_fake_stages();
// How many times each fake stage kind's run() was entered in this process.
int runs_of(const char* kind);
void reset_counts();
}  // namespace pipe::fake
