package io.pekkoraft.consensus.sim;

import io.pekkoraft.consensus.StateMachine;

/**
 * The simulation's state machine: commands are strings, each applied one is reported to the
 * {@link SafetyChecker}, and the result of a command (and of any query) is how many commands this
 * instance has applied, counting it. A command starting with {@link #REFUSE} is refused (a RuntimeException,
 * the state unchanged), one starting with {@link #BREAK} throws an Error.
 */
public final class RecordingStateMachine implements StateMachine<String, String, Long> {

  public static final String REFUSE = "refuse!";
  public static final String BREAK = "break!";

  private final SafetyChecker checker;
  private final String instance;
  private long applied;

  public RecordingStateMachine(SafetyChecker checker, String member, String instance) {
    this.checker = checker;
    this.instance = instance;
    checker.instanceStarted(member, instance);
  }

  @Override
  public Long apply(String command) {
    if (command.startsWith(REFUSE)) throw new IllegalArgumentException("refused " + command);
    if (command.startsWith(BREAK)) throw new Error("broken by " + command);
    applied++;
    checker.onApplied(instance, command);
    return applied;
  }

  /** Records the entry the runner applies the command at (for the checker), then applies it. */
  @Override
  public Long apply(String command, io.pekkoraft.consensus.AppliedEntry entry) {
    Long result = apply(command);
    checker.onAppliedEntry(instance, command, entry); // only a command applied, not a refused one
    return result;
  }

  @Override
  public Long query(String query) {
    return applied;
  }

  /** The commands applied so far, in order: what a replica restored from it must have applied. */
  @Override
  public Object snapshot() {
    return new java.util.ArrayList<>(checker.appliedByInstance(instance));
  }

  @Override
  @SuppressWarnings("unchecked")
  public void restore(Object snapshot) {
    java.util.List<String> commands = (java.util.List<String>) snapshot;
    applied = commands.size();
    checker.onRestored(instance, commands);
  }
}
