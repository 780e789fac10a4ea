/* version: gvab's version; the commit comes from the build (GNUmakefile). */
#ifndef GVAB_VERSION_H
#define GVAB_VERSION_H
#define GVAB_VERSION "0.1.0"
#ifndef GVAB_COMMIT
#define GVAB_COMMIT "unknown"
#endif
#endif
