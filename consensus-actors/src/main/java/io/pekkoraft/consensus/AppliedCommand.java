package io.pekkoraft.consensus;

/**
 * One command a member's state machine applied, as {@link RaftGroup#watchApplied} streams it: where it sits in
 * the log, the command, and what applying it gave. Every member applies the same commands at the same indexes
 * with the same results, so a watch resumed on another member from {@code index + 1} carries on the same stream.
 *
 * <p>Only commands the state machine was given are watched: entries that are not a client's command (the
 * leader's no-op, configuration entries, a session's opening and keep-alives) are not, nor is a session's
 * retry of a command it answered before (the state machine did not apply it again), nor a command of a
 * session no longer open. Their indexes are skipped, so the indexes of a watch increase but are not
 * contiguous; resuming from the last index seen + 1 is always right.
 *
 * <p>{@code command} and {@code result} are the very objects the state machine was given and returned, shared,
 * not copied: neither may be changed afterwards (a state machine that returns a mutable part of its state
 * must return a copy).
 *
 * @param index the command's log index
 * @param term the term of the leader that appended it
 * @param logTimeMillis its log time, as {@link AppliedEntry#logTimeMillis()}
 * @param command the command as the state machine received it
 * @param result what {@code StateMachine.apply} returned; null when it failed
 * @param failure null when applied; otherwise why the state machine refused it (its {@code apply} threw a
 *     RuntimeException, which every replica does alike, and the state is unchanged: {@link RaftException.CommandFailed})
 * @param sessionId the client session the command was submitted in, 0 for none
 * @param sequence its sequence number in that session, 0 for none
 */
public record AppliedCommand<C, R>(long index, long term, long logTimeMillis, C command, R result, String failure,
    long sessionId, long sequence) {

  /** Whether the state machine refused it ({@link #failure()} says why). */
  public boolean failed() {
    return failure != null;
  }
}
