/* samples_extra: the members of one samples.jsonl line beyond the phase
 * times (samples.h): syscall counts (or why a count is missing), CPU time,
 * the workload's own time, memory, and the parsed instrument data. The
 * one place these members are written; samples.c reads them back. */
#include "samples.h"

const char *const samples_syscall_names[SAMPLES_SYSCALL_COUNTS] = {"membarrier",
                                                                   "membarrier_register_private_expedited"};

cJSON *samples_extra(const struct boot_result *br, struct sample_instruments *in)
{
	if (!br->ok) {
		cJSON_Delete(in->hw);
		in->hw = NULL;
		return NULL;
	}
	cJSON *extra = cJSON_CreateObject();
	if (in->syscalls) {
		/* A count this boot could not make is said, with its reason,
		 * under "unavailable": never a 0 that was not counted. */
		cJSON *sy = cJSON_AddObjectToObject(extra, "syscalls"), *na = NULL;
		for (size_t i = 0; i < SAMPLES_SYSCALL_COUNTS; i++) {
			if (!in->syscall_why[i])
				cJSON_AddNumberToObject(sy, samples_syscall_names[i], (double)in->syscall_count[i]);
			else {
				if (!na)
					na = cJSON_AddObjectToObject(sy, "unavailable");
				cJSON_AddStringToObject(na, samples_syscall_names[i], in->syscall_why[i]);
			}
		}
	}
	if (br->kind == BOOT_COLD) {
		cJSON *cpu = cJSON_AddObjectToObject(extra, "cpu");
		cJSON_AddNumberToObject(cpu, "user_ns", (double)br->cpu_user_ns);
		cJSON_AddNumberToObject(cpu, "sys_ns", (double)br->cpu_sys_ns);
		cJSON *pf = cJSON_AddObjectToObject(extra, "faults");
		cJSON_AddNumberToObject(pf, "minor", (double)br->faults_minor);
		cJSON_AddNumberToObject(pf, "major", (double)br->faults_major);
	}
	if (br->has_workload) {
		cJSON *w = cJSON_AddObjectToObject(extra, "workload");
		cJSON_AddNumberToObject(w, "inner_ns", (double)br->workload_inner_ns);
		cJSON_AddNumberToObject(w, "result", br->workload_result);
	}
	if (br->has_memory) {
		cJSON *m = cJSON_AddObjectToObject(extra, "memory");
		cJSON_AddNumberToObject(m, "rss_kib", (double)br->mem_rss_kib);
		cJSON_AddNumberToObject(m, "pss_kib", (double)br->mem_pss_kib);
		cJSON_AddNumberToObject(m, "sandbox_pss_kib", (double)br->mem_sandbox_pss_kib);
		cJSON_AddNumberToObject(m, "gofer_pss_kib", (double)br->mem_gofer_pss_kib);
		cJSON_AddNumberToObject(m, "other_pss_kib", (double)br->mem_other_pss_kib);
		cJSON_AddNumberToObject(m, "cgroup_current_bytes", (double)br->mem_cg_current_bytes);
		cJSON_AddNumberToObject(m, "cgroup_peak_bytes", (double)br->mem_cg_peak_bytes);
		/* Huge pages beside PSS: only the fields this kernel shows. */
		const struct {
			const char *key;
			long v;
		} huge[] = {{"anon_huge_kib", br->mem_anon_huge_kib},
		            {"file_pmd_kib", br->mem_file_pmd_kib},
		            {"shmem_pmd_kib", br->mem_shmem_pmd_kib}};
		for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++)
			if (huge[i].v >= 0)
				cJSON_AddNumberToObject(m, huge[i].key, (double)huge[i].v);
		cJSON_AddNumberToObject(m, "samples", (double)br->memory_nsamples);
		cJSON_AddNumberToObject(m, "processes", (double)br->memory_procs);
	}
	if (in->internal)
		cJSON_AddItemToObject(extra, "internal", in->internal);
	if (in->inittrace)
		cJSON_AddItemToObject(extra, "inittrace", in->inittrace);
	/* Hardware counters of the boot's processes; a count this boot could
	 * not make is under "unavailable" with its reason, never a 0. */
	if (in->hw)
		cJSON_AddItemToObject(extra, "hw", in->hw);
	in->internal = in->inittrace = in->hw = NULL;
	return extra;
}
