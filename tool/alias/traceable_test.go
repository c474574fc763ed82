package alias

import (
	"strings"
	"testing"
)

// Event names are what kprobe_events accepts: [A-Za-z_][A-Za-z0-9_]*,
// shorter than 64 bytes (MAX_EVENT_NAME_LEN), one per alias.
func TestEventName(t *testing.T) {
	long := "very_long_function_name@drivers/gpu/drm/amd/display/dc/dml2/dml21/src/dml2_core/dml2_core_dcn4.c"
	for _, c := range []struct{ alias, want string }{
		{"s_show@kernel/kallsyms.c", "s_show_kernel_kallsyms_c"},
		{"dget@fs/configfs/dir.c", "dget_fs_configfs_dir_c"},
		{"type_show__2", "type_show__2"},
		{"nf_nat_setup@nf-nat.c", "nf_nat_setup_nf_nat_c"},
		// 54 bytes of the name, "_", FNV-1a 32 of the alias (by Python: faff2d84).
		{long, "very_long_function_name_drivers_gpu_drm_amd_display_dc_faff2d84"},
	} {
		got := EventName(c.alias)
		if got != c.want || len(got) > 63 {
			t.Errorf("EventName(%q) = %q, want %q", c.alias, got, c.want)
		}
	}
	if a, b := EventName(long), EventName(strings.Replace(long, "dcn4", "dcn3", 1)); a == b {
		t.Errorf("two long aliases share the event name %s", a)
	}
}
