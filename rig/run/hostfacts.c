/* hostfacts: see hostfacts.h. */
#define _GNU_SOURCE
#include "hostfacts.h"
#include "knobs.h"
#include "util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static void add_line(cJSON *o, const char *key, const char *path)
{
	char buf[512];
	if (util_read_line(path, buf, sizeof buf) == 0 && buf[0])
		cJSON_AddStringToObject(o, key, buf);
	else
		cJSON_AddNullToObject(o, key);
}

/* First "key : value" of /proc/cpuinfo or /proc/meminfo with that key. */
static int proc_field(const char *file, const char *key, char *out, size_t len)
{
	FILE *f = fopen(file, "re");
	char line[1024];
	int found = 0;
	if (!f)
		return 0;
	size_t kl = strlen(key);
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, key, kl) != 0)
			continue;
		char *c = strchr(line, ':');
		if (!c)
			continue;
		c++;
		while (*c == ' ' || *c == '\t')
			c++;
		c[strcspn(c, "\n")] = '\0';
		snprintf(out, len, "%s", c);
		found = 1;
		break;
	}
	fclose(f);
	return found;
}

cJSON *hostfacts_collect(void)
{
	cJSON *o = cJSON_CreateObject();
	struct utsname u;
	char buf[1024];
	if (uname(&u) == 0) {
		cJSON_AddStringToObject(o, "hostname", u.nodename);
		char *k = util_fmt("%s %s %s", u.sysname, u.release, u.version);
		cJSON_AddStringToObject(o, "kernel", k);
		free(k);
		cJSON_AddStringToObject(o, "arch", u.machine);
	}
	if (proc_field("/proc/cpuinfo", "model name", buf, sizeof buf))
		cJSON_AddStringToObject(o, "cpu_model", buf);
	else
		cJSON_AddNullToObject(o, "cpu_model");
	cJSON_AddNumberToObject(o, "online_cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
	add_line(o, "online_cpu_list", "/sys/devices/system/cpu/online");
	if (proc_field("/proc/meminfo", "MemTotal", buf, sizeof buf))
		cJSON_AddNumberToObject(o, "mem_total_kib", strtod(buf, NULL));
	/* Virtualization: the hypervisor CPU flag plus DMI names when present. */
	int hyper = 0;
	if (proc_field("/proc/cpuinfo", "flags", buf, sizeof buf))
		hyper = strstr(buf, " hypervisor") != NULL;
	cJSON *virt = cJSON_AddObjectToObject(o, "virtualization");
	cJSON_AddBoolToObject(virt, "hypervisor_flag", hyper);
	add_line(virt, "sys_vendor", "/sys/class/dmi/id/sys_vendor");
	add_line(virt, "product_name", "/sys/class/dmi/id/product_name");
	cJSON_AddBoolToObject(virt, "dev_kvm", access("/dev/kvm", F_OK) == 0);
	add_line(o, "clocksource", "/sys/devices/system/clocksource/clocksource0/current_clocksource");
	add_line(o, "cpufreq_governor", "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
	cJSON *mit = cJSON_AddObjectToObject(o, "cpu_vulnerabilities");
	DIR *d = opendir("/sys/devices/system/cpu/vulnerabilities");
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			char *p = util_fmt("/sys/devices/system/cpu/vulnerabilities/%s", de->d_name);
			add_line(mit, de->d_name, p);
			free(p);
		}
		closedir(d);
	}
	cJSON_AddItemToObject(o, "knobs", knobs_snapshot());
	add_line(o, "boot_id", "/proc/sys/kernel/random/boot_id");
	/* The host's load (1, 5 and 15 minute averages): a shared host's other
	 * work, which the figures carry; recorded, never a drift fact. */
	double l1, l5, l15;
	FILE *lf = fopen("/proc/loadavg", "re");
	if (lf && fscanf(lf, "%lf %lf %lf", &l1, &l5, &l15) == 3) {
		const double la[3] = {l1, l5, l15};
		cJSON_AddItemToObject(o, "loadavg", cJSON_CreateDoubleArray(la, 3));
	}
	if (lf)
		fclose(lf);
	return o;
}

static void cmp_fact(cJSON *out, const char *name, const cJSON *a, const cJSON *b)
{
	char *sa = a ? cJSON_PrintUnformatted(a) : util_xstrdup("null");
	char *sb = b ? cJSON_PrintUnformatted(b) : util_xstrdup("null");
	if (strcmp(sa, sb) != 0) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "fact", name);
		cJSON_AddRawToObject(e, "before", sa);
		cJSON_AddRawToObject(e, "after", sb);
		cJSON_AddItemToArray(out, e);
	}
	free(sa);
	free(sb);
}

cJSON *hostfacts_drift(const cJSON *before, const cJSON *after)
{
	static const char *const keys[] = {"kernel", "online_cpus", "online_cpu_list", "clocksource",
	                                   "cpufreq_governor", "boot_id", NULL};
	cJSON *out = cJSON_CreateArray();
	for (size_t i = 0; keys[i]; i++)
		cmp_fact(out, keys[i], cJSON_GetObjectItemCaseSensitive(before, keys[i]),
		         cJSON_GetObjectItemCaseSensitive(after, keys[i]));
	const cJSON *kb = cJSON_GetObjectItemCaseSensitive(before, "knobs");
	const cJSON *ka = cJSON_GetObjectItemCaseSensitive(after, "knobs");
	for (size_t i = 0; knobs_names[i]; i++) {
		char *n = util_fmt("knobs.%s", knobs_names[i]);
		cmp_fact(out, n, kb ? cJSON_GetObjectItemCaseSensitive(kb, knobs_names[i]) : NULL,
		         ka ? cJSON_GetObjectItemCaseSensitive(ka, knobs_names[i]) : NULL);
		free(n);
	}
	return out;
}
