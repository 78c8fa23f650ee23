//! The conformance suite: every method, every error code, bad input, slow
//! subscribers, restarts, auth and policies, over in-memory pipes.
//!
//! Each test is an `async fn` with no executor of its own. A test file picks
//! an executor with one line: `conformance::all_tests!(block_on);` where
//! `block_on` runs a `Future<Output = ()>` to completion.

pub mod bad_input;
pub mod handshake;
pub mod idle;
pub mod introspection;
pub mod methods;
pub mod rate;
pub mod sessions;
pub mod subscriptions;
#[cfg(feature = "v3")]
pub mod v3;
pub mod values;

/// Defines one `#[test]` per conformance test, run by `$run`.
///
/// `all_tests!(run, buffered)` leaves out the tests that need a write to the
/// stream to wait while the peer does not read: over a stream with buffers
/// of its own at both ends (TLS: records the server's rustls holds, and what
/// the client's rustls decrypts ahead of its reader), the session cannot
/// tell a slow reader from a fast one within a few events (see `tests/tls.rs`).
macro_rules! all_tests {
    ($run:expr) => {
        $crate::conformance::all_tests!($run, buffered);
        $crate::conformance::all_tests!(@each $run;
            subscriptions::slow_reader_making_progress_stays_and_sees_recent_values,
            rate::a_slow_reader_at_a_rate_limit_sees_dropped_apart_from_coalesced,
        );
    };
    ($run:expr, buffered) => {
        $crate::conformance::all_tests!(@each $run;
            handshake::flat_hello_gets_the_full_welcome,
            handshake::nested_hello_and_compatible_versions,
            handshake::version_mismatch_is_refused_and_closed,
            handshake::request_before_hello_is_refused,
            handshake::garbage_before_hello_is_answered_and_hello_still_works,
            handshake::token_required_missing_wrong_and_right,
            handshake::read_only_policy,
            handshake::hello_at_any_time_restarts_the_session,
            handshake::handshake_deadline_closes_a_silent_peer,
            handshake::handshake_deadline_holds_while_blocked_writing,
            handshake::bad_lines_before_hello_are_bounded,
            handshake::wall_clock_steps_do_not_move_the_handshake_deadline,
            idle::idle_session_ends_at_the_deadline_and_not_before,
            idle::any_line_starts_the_idle_wait_again,
            idle::a_subscriber_is_never_idle,
            idle::default_config_never_idles,
            idle::idle_over_split_halves,
            methods::list_describes_every_record,
            methods::list_streams_through_a_small_reply_buffer,
            methods::get_in_both_forms_and_its_errors,
            methods::set_stores_validates_and_refuses,
            methods::set_decodes_escapes_in_values,
            methods::set_on_a_mailbox_reaches_local_code,
            methods::ping_and_stats,
            methods::value_too_large_for_the_reply_buffer,
            subscriptions::events_carry_sequence_and_initial_value,
            subscriptions::every_subscriber_sends_each_value_with_its_timestamp,
            subscriptions::send_initial_false_and_queue_size,
            subscriptions::subscription_limit_and_errors,
            subscriptions::unsubscribe_stops_events,
            subscriptions::same_record_twice_is_independent,
            subscriptions::stalled_subscriber_loses_oldest_with_exact_dropped,
            subscriptions::local_subscriber_counts_drops_too,
            subscriptions::a_value_too_large_to_send_is_reported_at_once,
            rate::values_within_an_interval_coalesce_to_the_latest,
            rate::the_initial_value_and_a_value_after_quiet_go_out_at_once,
            rate::bad_rate_params_are_refused_and_nothing_subscribed,
            rate::rate_limits_over_split_halves,
            bad_input::parse_errors_keep_the_session,
            bad_input::over_long_lines_are_skipped,
            bad_input::crlf_blank_lines_and_byte_by_byte,
            bad_input::bad_input_never_corrupts_stored_values,
            bad_input::deep_nesting_is_refused_without_recursion,
            sessions::write_deadline_ends_only_the_stuck_session,
            sessions::session_limit_refuses_the_one_over,
            sessions::many_sessions_at_once,
            sessions::closing_a_session_detaches_its_subscriptions,
            sessions::serve_many_runs_slots_without_spawning,
            sessions::silent_connections_cannot_keep_a_client_out,
            sessions::silent_flood_waits_then_evicts_the_oldest,
            sessions::serve_many_evicts_silent_connections_holding_every_slot,
            sessions::waiting_for_a_place_counts_against_the_hello_deadline,
            sessions::started_at_is_when_serving_began_not_the_first_session,
            sessions::shutdown_finishes_replies_then_ends_every_session,
            sessions::serve_split_over_separate_halves,
            values::every_serde_shape_round_trips,
            values::non_finite_floats_only_where_the_record_allows_them,
            values::setpoint_out_of_range_is_a_validation_error,
            values::values_without_json_form_are_refused_not_panicked,
            values::long_escaped_strings_and_unknown_members_decode,
            values::unknown_hello_members_of_any_size_are_skipped,
            values::token_oddities_are_auth_failures,
            values::subscription_ids_are_parsed_strictly,
            values::line_limit_is_on_content_not_crlf,
            introspection::drain_returns_each_value_once_with_dropped,
            introspection::drain_limit_leaves_the_rest_for_the_next_call,
            introspection::drain_streams_past_a_small_reply_buffer_and_counts_what_never_fits,
            introspection::drain_cursors_are_bounded_per_session_and_reset_by_hello,
            introspection::graph_nodes_edges_and_order,
            introspection::schema_describes_the_value_type,
        );
        #[cfg(feature = "v3")]
        $crate::conformance::all_tests!(@each $run;
            v3::hello_and_every_method_in_both_framings,
            v3::frames_split_across_reads_and_several_in_one_read,
            v3::a_frame_over_the_limit_ends_the_session_with_a_reason,
            v3::malformed_frames_are_skipped_or_answered_and_counted,
            v3::never_ok_null,
            v3::v3_version_mismatch_is_refused_and_closed,
            v3::token_in_the_v3_hello,
            v3::exact_subscription_events_write_and_unsub,
            v3::subscription_refusals_reply_to_the_sub_id,
            v3::seq_jumps_by_what_was_dropped,
            v3::wildcard_snap_burst_then_tagged_events,
            v3::wildcard_over_the_cap_or_matching_nothing,
            v3::replies_larger_than_the_reply_buffer_in_both_framings,
            v3::generations_do_not_mix_within_a_session,
            v3::v3_request_before_hello_is_refused,
            v3::framed_drain_stops_at_the_buffer_and_keeps_the_rest,
            v3::record_subscribe_in_a_v3_session_is_named_by_its_request_id,
            rate::a_v3_sub_takes_the_same_rate_limit,
            idle::v3_ping_frames_keep_it_and_idleness_ends_it,
        );
    };
    (@each $run:expr; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                ($run)($crate::conformance::$module::$name());
            }
        )*
    };
}
pub(crate) use all_tests;
