package io.pekkoraft.consensus.behavior;

import io.pekkoraft.consensus.AppliedEntry;
import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.consensus.behavior.EntityMessages.Accepted;
import io.pekkoraft.consensus.behavior.EntityMessages.CallerSnapshot;
import io.pekkoraft.consensus.behavior.EntityMessages.Conflict;
import io.pekkoraft.consensus.behavior.EntityMessages.Duplicate;
import io.pekkoraft.consensus.behavior.EntityMessages.Proposal;
import io.pekkoraft.consensus.behavior.EntityMessages.SeqNrQuery;
import io.pekkoraft.consensus.behavior.EntityMessages.StaleTerm;
import io.pekkoraft.consensus.behavior.EntityMessages.StoreSnapshot;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.pekko.annotation.InternalApi;

/**
 * The replicated state machine under a group of replicated behaviors: every entity's state and sequence
 * number (the number of its events applied), changed only by applying {@link Proposal}s in log order. One
 * instance per member; the leader's {@link EntityHost} reads states from it (another thread, hence the
 * concurrent map of immutable records).
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
  private final Map<String, Entity<S>> entities = new ConcurrentHashMap<>();
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
      int behaviorsMax) {
    this.factory = factory;
    this.behaviorsMax = behaviorsMax;
    this.callerTtlMillis = callerTtlMillis;
    this.callersMax = callersMax;
  }

  /** The entity's latest applied state here (its empty state and 0 before its first event). */
  public Entity<S> entity(String entityId) {
    Entity<S> e = entities.get(entityId);
    return e != null ? e : new Entity<>(behavior(entityId).behavior().emptyState(), 0);
  }

  /** Forget the entity's event handler (passivation); its state stays, as the snapshot needs it. */
  void passivate(String entityId) {
    synchronized (behaviors) {
      behaviors.remove(entityId);
    }
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
  public Object apply(Proposal p, AppliedEntry entry) {
    expireCallers(entry.logTimeMillis());
    Caller caller = callers.get(p.callerId());
    if (caller != null) {
      caller.lastLogTimeMillis = Math.max(caller.lastLogTimeMillis, entry.logTimeMillis());
      Object[] before = caller.applied.get(p.callerSeq());
      if (before != null) return new Duplicate((Long) before[0], before[1]);
    }
    if (entry.term() != p.term()) return new StaleTerm(entry.term());
    Entity<S> current = entity(p.entityId());
    if (current.seqNr() != p.expectedSeqNr()) return new Conflict(current.seqNr());
    EventHandler<S, E> handler = behavior(p.entityId()).eventHandler();
    S state = current.state();
    for (Object event : p.events()) state = handler.apply(state, (E) event); // a throw leaves the entity unchanged
    Entity<S> next = new Entity<>(state, current.seqNr() + p.events().size());
    entities.put(p.entityId(), next);
    remember(p, caller, entry.logTimeMillis(), next);
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
    return entity(query.entityId()).seqNr();
  }

  @Override
  public Object snapshot() {
    List<String> ids = new ArrayList<>(entities.size());
    List<Object> states = new ArrayList<>(entities.size());
    long[] seqNrs = new long[entities.size()];
    int i = 0;
    for (Map.Entry<String, Entity<S>> e : new TreeMap<>(entities).entrySet()) {
      ids.add(e.getKey());
      states.add(e.getValue().state());
      seqNrs[i++] = e.getValue().seqNr();
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
    return new StoreSnapshot(ids, states, seqNrs, cs);
  }

  @Override
  @SuppressWarnings("unchecked")
  public void restore(Object snapshot) {
    StoreSnapshot s = (StoreSnapshot) snapshot;
    entities.clear();
    synchronized (behaviors) {
      behaviors.clear();
    }
    callers.clear();
    for (int i = 0; i < s.entityIds().size(); i++) {
      entities.put(s.entityIds().get(i), new Entity<>((S) s.states().get(i), s.seqNrs()[i]));
    }
    for (CallerSnapshot cs : s.callers()) {
      Caller c = new Caller();
      c.acked = cs.acked();
      c.lastLogTimeMillis = cs.lastLogTimeMillis();
      for (int j = 0; j < cs.seqs().length; j++) c.applied.put(cs.seqs()[j], new Object[] {cs.seqNrs()[j], cs.statesAfter().get(j)});
      callers.put(cs.callerId(), c);
    }
  }
}
