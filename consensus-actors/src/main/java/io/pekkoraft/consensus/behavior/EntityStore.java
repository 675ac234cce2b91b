package io.pekkoraft.consensus.behavior;

import io.pekkoraft.consensus.AppliedEntry;
import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.consensus.StoredSnapshot;
import io.pekkoraft.consensus.behavior.EntityMessages.Accepted;
import io.pekkoraft.consensus.behavior.EntityMessages.CallerSnapshot;
import io.pekkoraft.consensus.behavior.EntityMessages.Conflict;
import io.pekkoraft.consensus.behavior.EntityMessages.Duplicate;
import io.pekkoraft.consensus.behavior.EntityMessages.Proposal;
import io.pekkoraft.consensus.behavior.EntityMessages.SeqNrQuery;
import io.pekkoraft.consensus.behavior.EntityMessages.StaleTerm;
import io.pekkoraft.consensus.behavior.EntityMessages.StoreSnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.pekko.annotation.InternalApi;

/**
 * The replicated state machine under a group of replicated behaviors: every entity's state and sequence
 * number (the number of its events applied), changed only by applying {@link Proposal}s in log order. One
 * instance per member; the leader's {@link EntityHost} reads states from it (another thread: every access
 * holds this store's lock, and states are immutable).
 *
 * <p>Which states are in memory is this member's choice, never part of the replicated state: an entity's
 * state leaves memory (passivation) when the leader's host passivates it, when it was not used for
 * {@code passivateAfter} of log time, or beyond {@code statesMax} states in memory (least recently used
 * first), but only once the latest stored snapshot holds it as it is (nothing applied to it since): its
 * record in that file, plus the log after it, is then all of it. It comes back when a command or a committed
 * event needs it, read from that record alone ({@link StoreSnapshotSerializer#readState}); what applies is
 * the same either way. An entity changed since the latest snapshot stays in memory until the next snapshot
 * is stored, so {@code statesMax} can be exceeded by the entities changed since then. Kept for every entity
 * in memory: its id, sequence number and record offset (the index).
 *
 * <p>A proposal applies only if (1) the entry's term is the term its leader decided in: a leader deposed
 * after deciding cannot get its events applied by a later leader that appends them again (a client retry
 * forwarded there); (2) the entity's sequence number is the one the command handler saw: events decided on a
 * state that was not the latest (a new leader that had not applied all committed entries yet) never apply;
 * (3) the command (caller id, caller sequence) has not applied before: a command retried after a leader
 * change applies once, and the retry gets the state right after the first. Every replica decides the same,
 * from the entry alone and the state before it.
 */
@InternalApi
public final class EntityStore<C, E, S> implements StateMachine<Proposal, SeqNrQuery, Object> {

  /** An entity's applied state. Immutable: the leader's host reads it from another thread. */
  public record Entity<S>(S state, long seqNr) {}

  private final Function<String, ? extends ReplicatedBehavior<C, E, S>> factory;
  private final long callerTtlMillis;
  private final int callersMax;
  /** Every entity with events: sequence number, record in {@link #source}, state when in memory. Guarded by this. */
  private final Map<String, Slot<S>> entities = new HashMap<>();
  /** The entities whose state is in memory, least recently used first. Guarded by this. */
  private final LinkedHashMap<String, Slot<S>> inMemory = new LinkedHashMap<>(16, 0.75f, true);
  /** The latest stored snapshot: the records of the states not in memory. Guarded by this. */
  private StoredSnapshot source;
  /** The snapshot taken and not yet stored (its records' offsets come back with {@link #snapshotStored}). */
  private StoreSnapshot taken;
  private final long passivateAfterMillis;
  private final int statesMax;
  /** Log time of the latest applied entry: idleness is counted in it. */
  private long nowLogTimeMillis;
  private long lastSweepLogTimeMillis;
  /** States read back from a snapshot (activations), for tests and metrics. */
  private long activations;

  /** One entity's entry in the index. */
  private static final class Slot<S> {
    long seqNr;
    /** The offset of its record in {@link #source}, or -1 when that file has none. */
    long offset = -1;
    /** Its state, when in memory (null otherwise). */
    S state;
    /** Changed since {@link #source} was written: must stay in memory. */
    boolean changed;
    /** Passivated by the leader's host: out of memory as soon as it is unchanged. */
    boolean passivated;
    long lastUsedLogTimeMillis;
  }
  /**
   * Behavior instances (for their empty state and event handler), built on demand, the least recently used
   * dropped beyond {@code behaviorsMax}, and dropped when the leader passivates the entity. Guarded by itself.
   */
  private final LinkedHashMap<String, Loaded<C, E, S>> behaviors = new LinkedHashMap<>(16, 0.75f, true);
  private final int behaviorsMax;
  /** Callers by least recent activity first (access order), for expiry and the bound. Runner thread only. */
  private final LinkedHashMap<String, Caller> callers = new LinkedHashMap<>(16, 0.75f, true);

  /** A caller's outcomes of applied commands (seq → sequence number and state after), above its acked seq. */
  private static final class Caller {
    long acked;
    long lastLogTimeMillis;
    final TreeMap<Long, Object[]> applied = new TreeMap<>();
  }

  public EntityStore(Function<String, ? extends ReplicatedBehavior<C, E, S>> factory, long callerTtlMillis, int callersMax,
      int behaviorsMax, long passivateAfterMillis, int statesMax) {
    this.factory = factory;
    this.behaviorsMax = behaviorsMax;
    this.callerTtlMillis = callerTtlMillis;
    this.callersMax = callersMax;
    this.passivateAfterMillis = passivateAfterMillis;
    this.statesMax = statesMax;
  }

  /**
   * The entity's latest applied state here (its empty state and 0 before its first event). A state not in
   * memory is read back from the latest snapshot (blocking file I/O) and stays in memory until passivated.
   */
  public synchronized Entity<S> entity(String entityId) {
    Slot<S> slot = entities.get(entityId);
    if (slot == null) return new Entity<>(behavior(entityId).behavior().emptyState(), 0);
    return new Entity<>(activate(entityId, slot), slot.seqNr);
  }

  /** The entity's sequence number here, without reading its state. */
  public synchronized long seqNr(String entityId) {
    Slot<S> slot = entities.get(entityId);
    return slot == null ? 0 : slot.seqNr;
  }

  /** The entity's state, read back from the latest snapshot if it is not in memory; marks it used. */
  @SuppressWarnings("unchecked")
  private S activate(String entityId, Slot<S> slot) {
    slot.lastUsedLogTimeMillis = nowLogTimeMillis;
    slot.passivated = false;
    if (inMemory.get(entityId) != null) return slot.state; // get: most recently used
    if (source == null || slot.offset < 0) {
      throw new IllegalStateException("entity " + entityId + " of the entity store has no state in memory and no"
          + " record in a stored snapshot (" + source + ", offset " + slot.offset + ")");
    }
    slot.state = (S) StoreSnapshotSerializer.readState(source, slot.offset, entityId, slot.seqNr);
    activations++;
    inMemory.put(entityId, slot);
    return slot.state;
  }

  /**
   * Passivate the entity: forget its event handler, and its state as soon as the latest stored snapshot holds
   * it as it is (at once, or when the next snapshot is stored).
   */
  synchronized void passivate(String entityId) {
    synchronized (behaviors) {
      behaviors.remove(entityId);
    }
    Slot<S> slot = entities.get(entityId);
    if (slot == null || slot.state == null) return;
    slot.passivated = true;
    evictIfUnchanged(entityId, slot);
  }

  private boolean evictIfUnchanged(String entityId, Slot<S> slot) {
    if (slot.changed || slot.offset < 0 || source == null) return false;
    inMemory.remove(entityId);
    slot.state = null;
    return true;
  }

  /**
   * Takes out of memory the unchanged states that are passivated, idle for passivateAfter of log time, or
   * beyond statesMax (least recently used first).
   */
  private void sweep() {
    lastSweepLogTimeMillis = nowLogTimeMillis;
    int over = inMemory.size() - statesMax;
    Iterator<Map.Entry<String, Slot<S>>> it = inMemory.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Slot<S>> e = it.next();
      Slot<S> slot = e.getValue();
      boolean idle = slot.lastUsedLogTimeMillis + passivateAfterMillis <= nowLogTimeMillis;
      if (!(over > 0 || idle || slot.passivated) || slot.changed || slot.offset < 0 || source == null) continue;
      it.remove();
      slot.state = null;
      over--;
    }
  }

  /** The entities whose state is in memory here. */
  synchronized Set<String> statesInMemory() {
    return Set.copyOf(inMemory.keySet());
  }

  /** How many times a state was read back from a snapshot here. */
  synchronized long activations() {
    return activations;
  }

  /** The entities whose behavior instance is in memory here. */
  public java.util.Set<String> behaviorsInMemory() {
    synchronized (behaviors) {
      return java.util.Set.copyOf(behaviors.keySet());
    }
  }

  /** An entity's behavior instance and its event handler (built once). */
  private record Loaded<C, E, S>(ReplicatedBehavior<C, E, S> behavior, EventHandler<S, E> eventHandler) {}

  private Loaded<C, E, S> behavior(String entityId) {
    synchronized (behaviors) {
      Loaded<C, E, S> b = behaviors.get(entityId);
      if (b == null) {
        ReplicatedBehavior<C, E, S> created = factory.apply(entityId);
        b = new Loaded<>(created, created.eventHandler());
        behaviors.put(entityId, b);
        if (behaviors.size() > behaviorsMax) {
          Iterator<String> eldest = behaviors.keySet().iterator();
          eldest.next();
          eldest.remove();
        }
      }
      return b;
    }
  }

  @Override
  public Object apply(Proposal command) {
    throw new UnsupportedOperationException("proposals are applied with their log entry");
  }

  @Override
  @SuppressWarnings("unchecked")
  public synchronized Object apply(Proposal p, AppliedEntry entry) {
    nowLogTimeMillis = Math.max(nowLogTimeMillis, entry.logTimeMillis());
    expireCallers(entry.logTimeMillis());
    Caller caller = callers.get(p.callerId());
    if (caller != null) {
      caller.lastLogTimeMillis = Math.max(caller.lastLogTimeMillis, entry.logTimeMillis());
      Object[] before = caller.applied.get(p.callerSeq());
      if (before != null) return new Duplicate((Long) before[0], before[1]);
    }
    if (entry.term() != p.term()) return new StaleTerm(entry.term());
    long seqNr = seqNr(p.entityId());
    if (seqNr != p.expectedSeqNr()) return new Conflict(seqNr);
    Entity<S> current = entity(p.entityId()); // read back from the snapshot if passivated
    EventHandler<S, E> handler = behavior(p.entityId()).eventHandler();
    S state = current.state();
    for (Object event : p.events()) state = handler.apply(state, (E) event); // a throw leaves the entity unchanged
    Entity<S> next = new Entity<>(state, current.seqNr() + p.events().size());
    Slot<S> slot = entities.computeIfAbsent(p.entityId(), id -> new Slot<>());
    slot.state = next.state();
    slot.seqNr = next.seqNr();
    slot.changed = true;
    slot.lastUsedLogTimeMillis = nowLogTimeMillis;
    inMemory.put(p.entityId(), slot);
    remember(p, caller, entry.logTimeMillis(), next);
    if (inMemory.size() > statesMax || nowLogTimeMillis - lastSweepLogTimeMillis >= Math.min(passivateAfterMillis, 1000)) {
      sweep();
    }
    return new Accepted(next.seqNr());
  }

  private void remember(Proposal p, Caller caller, long logTimeMillis, Entity<S> after) {
    if (caller == null) {
      caller = new Caller();
      caller.lastLogTimeMillis = logTimeMillis;
      callers.put(p.callerId(), caller);
      if (callers.size() > callersMax) { // least recently active first
        Iterator<String> eldest = callers.keySet().iterator();
        eldest.next();
        eldest.remove();
      }
    }
    caller.acked = Math.max(caller.acked, p.callerAcked());
    caller.applied.headMap(caller.acked, true).clear();
    if (p.callerSeq() > caller.acked) caller.applied.put(p.callerSeq(), new Object[] {after.seqNr(), after.state()});
  }

  /** Callers idle for longer than the ttl, in log time (the same on every replica), are forgotten. */
  private void expireCallers(long nowLogTimeMillis) {
    Iterator<Caller> it = callers.values().iterator();
    while (it.hasNext()) {
      Caller c = it.next();
      if (c.lastLogTimeMillis + callerTtlMillis >= nowLogTimeMillis) break; // access order is log-time order
      it.remove();
    }
  }

  @Override
  public Object query(SeqNrQuery query) {
    return seqNr(query.entityId());
  }

  /**
   * Every entity, in id order: the states in memory, and for the others their record in the latest stored
   * snapshot, which the serializer copies into the new file (one pass over the old file).
   */
  @Override
  public synchronized Object snapshot() {
    List<String> ids = new ArrayList<>(entities.size());
    List<Object> states = new ArrayList<>(entities.size());
    long[] seqNrs = new long[entities.size()];
    long[] offsets = new long[entities.size()];
    int i = 0;
    for (Map.Entry<String, Slot<S>> e : new TreeMap<>(entities).entrySet()) {
      Slot<S> slot = e.getValue();
      ids.add(e.getKey());
      states.add(slot.state);
      offsets[i] = slot.offset;
      seqNrs[i++] = slot.seqNr;
    }
    List<CallerSnapshot> cs = new ArrayList<>(callers.size());
    for (Map.Entry<String, Caller> e : callers.entrySet()) { // iteration does not change access order
      Caller c = e.getValue();
      long[] seqs = new long[c.applied.size()];
      long[] after = new long[c.applied.size()];
      List<Object> statesAfter = new ArrayList<>(c.applied.size());
      int j = 0;
      for (Map.Entry<Long, Object[]> a : c.applied.entrySet()) {
        seqs[j] = a.getKey();
        after[j++] = (Long) a.getValue()[0];
        statesAfter.add(a.getValue()[1]);
      }
      cs.add(new CallerSnapshot(e.getKey(), c.acked, c.lastLogTimeMillis, seqs, after, statesAfter));
    }
    taken = new StoreSnapshot(ids, seqNrs, states, offsets, cs, source);
    return taken;
  }

  /**
   * The snapshot just taken is in its file: every entity's record is there now, and the entities not changed
   * since (all of them, as nothing applies in between) may leave memory.
   */
  @Override
  public synchronized void snapshotStored(StoredSnapshot stored) {
    StoreSnapshot s = taken;
    if (s == null) throw new IllegalStateException("snapshot " + stored + " stored, but the entity store took none");
    taken = null;
    for (int i = 0; i < s.entityIds.size(); i++) {
      Slot<S> slot = entities.get(s.entityIds.get(i));
      if (s.written[i] < 0) throw new IllegalStateException("snapshot " + stored + " has no record of " + s.entityIds.get(i));
      slot.offset = s.written[i];
      if (slot.seqNr == s.seqNrs[i]) slot.changed = false;
    }
    source = stored;
    sweep();
  }

  @Override
  public void restore(Object snapshot) {
    restore(snapshot, null);
  }

  /**
   * Every entity from the snapshot: states it carries stay in memory (a snapshot object handed over in
   * memory); the others stay in {@code stored} (or the file the snapshot was taken from), read back when needed.
   */
  @Override
  @SuppressWarnings("unchecked")
  public synchronized void restore(Object snapshot, StoredSnapshot stored) {
    StoreSnapshot s = (StoreSnapshot) snapshot;
    entities.clear();
    inMemory.clear();
    taken = null;
    source = stored != null ? stored : s.source;
    synchronized (behaviors) {
      behaviors.clear();
    }
    callers.clear();
    for (int i = 0; i < s.entityIds.size(); i++) {
      Slot<S> slot = new Slot<>();
      slot.seqNr = s.seqNrs[i];
      slot.lastUsedLogTimeMillis = nowLogTimeMillis;
      Object state = s.states.get(i);
      if (state != null) {
        slot.state = (S) state;
        slot.changed = true;
        inMemory.put(s.entityIds.get(i), slot);
      } else {
        slot.offset = s.offsets[i];
      }
      entities.put(s.entityIds.get(i), slot);
    }
    for (CallerSnapshot cs : s.callers) {
      Caller c = new Caller();
      c.acked = cs.acked();
      c.lastLogTimeMillis = cs.lastLogTimeMillis();
      for (int j = 0; j < cs.seqs().length; j++) c.applied.put(cs.seqs()[j], new Object[] {cs.seqNrs()[j], cs.statesAfter().get(j)});
      callers.put(cs.callerId(), c);
    }
  }
}
