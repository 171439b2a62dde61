#ifndef KCTL_SPAWN_H
#define KCTL_SPAWN_H
int kctl_spawn_placeholder(void);
#endif
