// Host stand-in for <mma.h> in the kernel emulation: everything lives in emu.h.
#pragma once
#include "emu.h"
