package io.pekkoraft.consensus.sim;

import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.RoleChanged;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster-wide safety properties of Raft, checked on everything a simulated cluster does:
 * <ul>
 *   <li>Election Safety: at most one leader per term (from the role changes servers publish);</li>
 *   <li>State Machine Safety: the commands every state machine instance applied are a prefix of one
 *       sequence (no two nodes ever apply different commands at the same position).</li>
 * </ul>
 * Violations are collected, and {@link #assertSafe()} fails the test with all of them.
 */
public final class SafetyChecker {

  private final Map<Long, String> leaderOfTerm = new HashMap<>();
  private final Map<String, RoleChanged> latest = new HashMap<>();
  private final List<String> canonical = new ArrayList<>();
  private final Map<String, List<String>> appliedByInstance = new HashMap<>();
  private final Map<String, String> currentInstance = new HashMap<>();
  private final List<String> violations = new ArrayList<>();
  private final Map<String, Integer> restores = new HashMap<>();
  private final Map<String, Map<String, io.pekkoraft.consensus.AppliedEntry>> entriesByInstance = new HashMap<>();

  /** How many times a state machine of {@code member} (any incarnation) was restored from a snapshot. */
  public synchronized int restores(String member) {
    return restores.getOrDefault(member, 0);
  }

  public synchronized void onRoleChanged(RoleChanged e) {
    latest.put(e.memberId(), e);
    if (e.role() == RaftRole.LEADER) {
      String previous = leaderOfTerm.putIfAbsent(e.term(), e.memberId());
      if (previous != null && !previous.equals(e.memberId())) {
        violations.add("Election Safety: " + previous + " and " + e.memberId() + " both leaders of term " + e.term());
      }
    }
  }

  /** A state machine instance (one node, one incarnation) starts with nothing applied. */
  public synchronized void instanceStarted(String member, String instance) {
    currentInstance.put(member, instance);
    appliedByInstance.put(instance, new ArrayList<>());
  }

  public synchronized void onApplied(String instance, String command) {
    List<String> applied = appliedByInstance.get(instance);
    int position = applied.size();
    applied.add(command);
    if (position < canonical.size()) {
      if (!canonical.get(position).equals(command)) {
        violations.add("State Machine Safety: " + instance + " applied " + command + " at position " + position
            + " where another node applied " + canonical.get(position));
      }
    } else {
      canonical.add(command);
    }
  }

  /** {@code instance} applied {@code command} with {@code entry} (index, term, log time), as the runner gave it. */
  public synchronized void onAppliedEntry(String instance, String command, io.pekkoraft.consensus.AppliedEntry entry) {
    entriesByInstance.computeIfAbsent(instance, k -> new java.util.LinkedHashMap<>()).put(command, entry);
  }

  /** What {@code instance} saw of each command it applied: its entry, by command, in the order applied. */
  public synchronized Map<String, io.pekkoraft.consensus.AppliedEntry> entriesSeenBy(String instance) {
    return new java.util.LinkedHashMap<>(entriesByInstance.getOrDefault(instance, Map.of()));
  }

  /** The commands {@code instance} applied, in order. */
  public synchronized List<String> appliedByInstance(String instance) {
    return List.copyOf(appliedByInstance.get(instance));
  }

  /** {@code instance} replaced its state by a snapshot holding {@code commands}: checked like applying them anew. */
  public synchronized void onRestored(String instance, List<String> commands) {
    restores.merge(instance.substring(0, instance.indexOf('#') < 0 ? instance.length() : instance.indexOf('#')), 1,
        Integer::sum);
    appliedByInstance.put(instance, new ArrayList<>());
    for (String c : commands) onApplied(instance, c);
  }

  /** Number of members whose current state machine has applied {@code command}. */
  public synchronized int appliedBy(String command) {
    int n = 0;
    for (String instance : currentInstance.values()) {
      if (appliedByInstance.get(instance).contains(command)) n++;
    }
    return n;
  }

  public synchronized List<String> applied(String member) {
    return List.copyOf(appliedByInstance.get(currentInstance.get(member)));
  }

  public synchronized RoleChanged latest(String member) {
    return latest.get(member);
  }

  public synchronized Map<Long, String> leadersByTerm() {
    return Map.copyOf(leaderOfTerm);
  }

  public synchronized List<String> violations() {
    return List.copyOf(violations);
  }

  /**
   * Durability: every command acknowledged to a client (answered Applied) has been applied by the current
   * state machine of every member. Call it once every member is up and has caught up.
   */
  public synchronized void assertAcknowledgedAppliedEverywhere(java.util.Collection<String> acknowledged) {
    for (Map.Entry<String, String> member : new java.util.TreeMap<>(currentInstance).entrySet()) {
      List<String> applied = appliedByInstance.get(member.getValue());
      List<String> missing = acknowledged.stream().filter(a -> !applied.contains(a)).toList();
      if (!missing.isEmpty()) {
        throw new AssertionError(member.getKey() + " never applied acknowledged commands " + missing);
      }
    }
  }

  public synchronized void assertSafe() {
    if (!violations.isEmpty()) throw new AssertionError("Raft safety violated:\n  " + String.join("\n  ", violations));
  }
}
