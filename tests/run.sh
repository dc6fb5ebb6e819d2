#!/bin/sh
# run.sh - every test layer, then one summary line: "N passed, N failed, N skipped".
# A test that cannot run here prints a SKIP line with its reason (never PASS).
# Called by `make check` after the builds. Starts the lab and always stops it.
set -u
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== layering (DESIGN.md arrows)"
sh tests/layering.sh | tee -a "$log"

echo "== unit tests (ASan+UBSan)"
for t in build-asan/tests/test_*; do
	case $t in *.d) continue ;; esac
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$t" >"$log.one" 2>&1 || {
		grep -q '^FAIL' "$log.one" || echo "FAIL $t: exited with an error (sanitizer?)" >>"$log.one"
	}
	cat "$log.one" | tee -a "$log"
done
rm -f "$log.one"

echo "== fuzzing (libFuzzer, about ten seconds each, tests/fuzz/)"
start=$(date +%s)
sh tests/fuzz/run.sh check $(ls tests/fuzz/fuzz_*.c | sed 's|tests/fuzz/fuzz_\(.*\)\.c|\1|') 2>&1 | tee -a "$log"
echo "fuzzing took $(($(date +%s) - start)) s"

echo "== lab"
# max_connections 400: the scale tests stand many targets on each of the lab's servers
# load for 40 minutes: the e2e layer outlasts the default 10, and tests read pgbench's sessions
if LAB=$(LAB_MAX_CONNECTIONS=400 LAB_LOAD_SECONDS=2400 sh tests/lab.sh start); then
	trap 'sh tests/lab.sh stop "$LAB"; rm -f "$log"' EXIT
	trap 'exit 130' INT TERM
	echo "lab in $LAB"
	echo "== integration and end-to-end (the real binary in tmux, ASan+UBSan)"
	LAB_DIR=$LAB DBFLEET_BIN=$PWD/build-asan/dbfleet python3 tests/e2e/run.py 2>&1 | tee -a "$log"
	echo "== threaded paths again under ThreadSanitizer"
	# full names: run.py --exact prints a FAIL for a name that names no test, so a renamed
	# test cannot drop out of this list silently
	tsan_tests=$(tr -s ' \n' ',' <<-EOF
		test_fleet_lists_both_servers test_frozen_backend_is_stalled_and_abandoned
		test_silent_port_is_stalled_others_keep_updating test_paused_replay_shows_growing_lag
		test_lag_pane_shows_both_topologies test_odbc_targets_side_by_side_with_native_ones
		test_aws_roles_and_cloudwatch_figures test_cancel_ends_the_query_and_keeps_the_session
		test_mariadb_kill_query_then_kill test_aws_discovered_instances_get_database_connections
		test_aws_snapshot_goes_creating_to_available_with_progress_and_one_retry
		test_fleet_of_300_comes_up_and_stays_fresh test_hung_targets_do_not_delay_the_healthy_ones
		test_recorded_session_replays_with_the_same_figures
		test_aws_side_replays_as_recorded
		test_paused_replay_gives_timeline_entries_in_order test_once_json_and_csv_match_the_screen
		test_rds_events_and_a_writer_moved_by_someone_else_are_on_the_timeline
		test_aws_sso_keys_sign_iam_tokens_for_discovered_databases test_aws_sso_expired_token_is_refreshed_once_and_written_back
		test_drill_measures_rto_through_a_read_write_host_list
		test_pg_long_join_plan_names_the_grant_then_shows_the_plan_and_runs_nothing
		test_mariadb_long_join_plan_from_show_explain_and_not_run_again
		test_mariadb_promote_quit_part_way_names_each_statement
		test_triage_lock_queue_is_one_tree_and_its_head_can_be_terminated
		test_triage_mariadb_metadata_locks_from_performance_schema test_triage_inactive_slot_is_flagged_until_dropped
		test_aws_accounts_three_profiles_two_accounts_column_grouping_and_snapshot
		test_aws_accounts_same_instance_id_in_two_accounts_adopted_as_two_targets
		test_aws_pi_top_sql_without_a_database_connection test_aws_pi_beside_the_database
		test_serve_and_two_viewers_show_the_fleet_and_viewers_open_no_connection
		test_standby_collector_takes_over_when_the_active_one_is_killed
		test_viewer_sessions_pane_makes_the_collector_read_sessions_until_it_leaves
		test_viewer_cancel_runs_once_on_the_collector
	EOF
	)
	LAB_DIR=$LAB DBFLEET_BIN=$PWD/build-tsan/dbfleet python3 tests/e2e/run.py --exact "$tsan_tests" 2>&1 |
		sed 's/^\(PASS\|FAIL\|SKIP\) /\1 tsan: /' | tee -a "$log"
else
	echo "FAIL lab: cannot start the lab" | tee -a "$log"
fi

passed=$(grep -c '^PASS' "$log")
failed=$(grep -c '^FAIL' "$log")
skipped=$(grep -c '^SKIP' "$log")
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
