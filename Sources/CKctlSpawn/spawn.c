#include "kctl_spawn.h"
int kctl_spawn_placeholder(void) { return 0; }
