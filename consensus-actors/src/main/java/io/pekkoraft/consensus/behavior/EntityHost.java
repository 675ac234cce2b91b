package io.pekkoraft.consensus.behavior;

import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.MembershipChanged;
import io.pekkoraft.consensus.RaftException;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.behavior.EntityMessages.Accepted;
import io.pekkoraft.consensus.behavior.EntityMessages.Conflict;
import io.pekkoraft.consensus.behavior.EntityMessages.Deliver;
import io.pekkoraft.consensus.behavior.EntityMessages.Duplicate;
import io.pekkoraft.consensus.behavior.EntityMessages.Outcome;
import io.pekkoraft.consensus.behavior.EntityMessages.OutcomeKind;
import io.pekkoraft.consensus.behavior.EntityMessages.Proposal;
import io.pekkoraft.consensus.behavior.EntityMessages.ProposalResult;
import io.pekkoraft.consensus.behavior.EntityMessages.SeqNrQuery;
import io.pekkoraft.consensus.behavior.EntityMessages.StaleTerm;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.annotation.InternalApi;

/**
 * One per member and group of replicated behaviors; it plays two parts.
 *
 * <p><b>Caller.</b> Commands sent through this member's {@link EntityRef}s get a caller sequence number
 * under this host's caller id (new at every start) and go to the leader's host as a {@link Deliver}. Until
 * that host answers {@link OutcomeKind#DONE} or {@link OutcomeKind#FAILED} the command is sent again, with
 * the same sequence number: to the leader this member knows, every tick while none is known, and after
 * {@code attemptTimeout} without an answer, until the command's deadline (its ask timeout).
 *
 * <p><b>Leader.</b> While its member leads, the host runs each entity's command handler, one command of an
 * entity at a time (the next ones wait, as in Pekko while persisting), against the entity's latest applied
 * state in the local {@link EntityStore}, and proposes the events through the local {@link RaftGroup} with
 * the term and the entity's sequence number it decided on. The side effects run when the proposal applied
 * ({@code Accepted}, or {@code Duplicate} for a retry of a command applied before); a {@code Conflict}
 * (the local state was behind) has the host catch up with a linearizable read and decide again; a
 * {@code StaleTerm} (deposed meanwhile) sends the caller to the new leader. A member that does not lead
 * answers {@link OutcomeKind#NOT_LEADER} with the leader it knows.
 *
 * <p>On a node outside the group ({@link ReplicatedEntities#initClient}) a host is only a caller: it has no
 * server, and while it knows no leader it asks the members' hosts in turn, each of which names the leader.
 */
@InternalApi
public final class EntityHost<C, E, S> extends AbstractBehavior<EntityHost.HostCommand> {

  public interface HostCommand {}

  /**
   * Where the members' hosts are: {@link #apply} gives a member's host, or null while its address is not
   * known. A member's host tells it the configuration in effect on its server, which records the addresses
   * of members added at run time; a non-member's host asks {@link #members} in turn while no leader is known.
   */
  @FunctionalInterface
  public interface Hosts extends Function<String, ActorRef<HostCommand>> {
    /** The configuration in effect on this member's server changed. */
    default void membershipChanged(Membership membership) {}

    /** The group's members as known here, sorted (asked in turn by a non-member while no leader is known). */
    default List<String> members() {
      return List.of();
    }
  }

  /** A command from this member's {@link EntityRef}; {@code timeout} bounds how long it is sent again. */
  record Submit(String entityId, Object command, Duration timeout) implements HostCommand, NoSerializationVerificationNeeded {}

  /** For tests and monitoring: the ids of the entities whose behavior is in this host's memory. */
  public record GetEntitiesInMemory(ActorRef<EntitiesInMemory> replyTo) implements HostCommand, NoSerializationVerificationNeeded {}

  public record EntitiesInMemory(Set<String> entityIds) implements NoSerializationVerificationNeeded {}

  private record RoleSeen(RoleChanged event) implements HostCommand, NoSerializationVerificationNeeded {}

  private record MembershipSeen(MembershipChanged event) implements HostCommand, NoSerializationVerificationNeeded {}

  /** The answer to this member's own question for the group's membership (null: none in time). */
  private record MembershipAnswered(MembershipReply reply) implements HostCommand, NoSerializationVerificationNeeded {}

  private record Proposed(String entityId, long token, ProposalResult result, Throwable failure)
      implements HostCommand, NoSerializationVerificationNeeded {}

  private record ReadConfirmed(String entityId, long token, Long seqNr, Throwable failure)
      implements HostCommand, NoSerializationVerificationNeeded {}

  /** The catch-up read after a conflict ended: the command is decided again. */
  private record CaughtUp(String entityId, long token, Throwable failure) implements HostCommand, NoSerializationVerificationNeeded {}

  private enum Tick implements HostCommand, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private enum PassivateTick implements HostCommand, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /** How often pending commands are looked at (resent, expired). */
  static final Duration TICK = Duration.ofMillis(100);
  /** How often a conflicting command is decided again before its caller is told to send it again. */
  private static final int CONFLICTS_MAX = 5;

  private final String groupId;
  private final String memberId;
  /** Null on a non-member: this host is only a caller. */
  private final RaftGroup<Proposal, SeqNrQuery, Object> group;
  private final Supplier<EntityStore<C, E, S>> store;
  private final ReplicatedEntity<C, E, S> declaration;
  private final Hosts hosts;
  /** A non-member's host: it asks the members' hosts in turn when no leader is known. */
  private final boolean caller;
  private int nextMember;
  /** A member's host asked its server for the group's membership and waits for the answer. */
  private boolean membershipAsked;
  /** This actor, for the callbacks of futures (they run on other threads, where the context must not be used). */
  private final ActorRef<HostCommand> self;

  // ---- caller ----
  private final String callerId = UUID.randomUUID().toString();
  private long nextSeq;
  private long tick;
  private final TreeMap<Long, Pending> pending = new TreeMap<>();
  private String leaderHint;

  private static final class Pending {
    final String entityId;
    final Object command;
    final long expiresAtTick;
    long sentAtTick = Long.MIN_VALUE / 2;

    Pending(String entityId, Object command, long expiresAtTick) {
      this.entityId = entityId;
      this.command = command;
      this.expiresAtTick = expiresAtTick;
    }
  }

  // ---- leader ----
  private RaftRole role = RaftRole.FOLLOWER;
  private long term;
  private long nextToken;
  private final Map<String, Slot> slots = new HashMap<>();
  /** (callerId, callerSeq) of every command queued, handled or stashed here: a resend of one is ignored. */
  private final Set<String> handling = new HashSet<>();

  /** An entity whose behavior is in memory. */
  private final class Slot {
    final String entityId;
    final ReplicatedBehavior<C, E, S> behavior;
    final CommandHandler<C, E, S> commandHandler;
    final EventHandler<S, E> eventHandler;
    final ArrayDeque<Deliver> inbox = new ArrayDeque<>();
    final ArrayDeque<Deliver> stash = new ArrayDeque<>();
    Working<E, S> working;
    int conflicts;
    long lastActiveTick;

    Slot(String entityId) {
      this.entityId = entityId;
      this.behavior = declaration.factory().apply(entityId);
      this.commandHandler = behavior.commandHandler();
      this.eventHandler = behavior.eventHandler();
    }

    boolean idle() {
      return working == null && inbox.isEmpty() && stash.isEmpty();
    }
  }

  /** The command being handled: decided on {@code decidedOn}, waiting for its proposal or read. */
  private record Working<E, S>(Deliver deliver, EffectImpl<E, S> effect, EntityStore.Entity<S> decidedOn, long term, long token) {}

  public static <C, E, S> Behavior<HostCommand> create(String memberId, RaftGroup<Proposal, SeqNrQuery, Object> group,
      Supplier<EntityStore<C, E, S>> store, ReplicatedEntity<C, E, S> declaration,
      Hosts hosts) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new EntityHost<>(ctx, timers, memberId, group, store,
        declaration, hosts)));
  }

  /**
   * A host on a node outside the group: it only sends its node's commands to the leader's host, which it finds
   * by asking the hosts of {@code hosts.members()} in turn.
   */
  public static <C, E, S> Behavior<HostCommand> createCaller(String nodeId, ReplicatedEntity<C, E, S> declaration,
      Hosts hosts) {
    if (hosts.members().isEmpty()) throw new IllegalArgumentException("a caller needs the group's members (pekko-raft.members)");
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new EntityHost<C, E, S>(ctx, timers, nodeId, null,
        null, declaration, hosts)));
  }

  private EntityHost(ActorContext<HostCommand> ctx, TimerScheduler<HostCommand> timers, String memberId,
      RaftGroup<Proposal, SeqNrQuery, Object> group, Supplier<EntityStore<C, E, S>> store,
      ReplicatedEntity<C, E, S> declaration, Hosts hosts) {
    super(ctx);
    this.groupId = declaration.groupId();
    this.caller = group == null;
    this.memberId = memberId;
    this.group = group;
    this.store = store;
    this.declaration = declaration;
    this.hosts = hosts;
    this.self = ctx.getSelf();
    ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(RoleChanged.class,
        ctx.messageAdapter(RoleChanged.class, RoleSeen::new)));
    if (!caller) {
      ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(MembershipChanged.class,
          ctx.messageAdapter(MembershipChanged.class, MembershipSeen::new)));
    }
    timers.startTimerWithFixedDelay(Tick.INSTANCE, TICK);
    timers.startTimerWithFixedDelay(PassivateTick.INSTANCE, declaration.passivateAfter());
  }

  @Override
  public Receive<HostCommand> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(Outcome.class, this::onOutcome)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(Deliver.class, this::onDeliver)
        .onMessage(Proposed.class, this::onProposed)
        .onMessage(ReadConfirmed.class, this::onReadConfirmed)
        .onMessage(CaughtUp.class, this::onCaughtUp)
        .onMessage(RoleSeen.class, this::onRoleSeen)
        .onMessage(MembershipSeen.class, this::onMembershipSeen)
        .onMessage(MembershipAnswered.class, this::onMembershipAnswered)
        .onMessageEquals(PassivateTick.INSTANCE, this::onPassivateTick)
        .onMessage(GetEntitiesInMemory.class, this::onGetEntitiesInMemory)
        .build();
  }

  // ---------------------------------------------------------------- caller

  private Behavior<HostCommand> onSubmit(Submit s) {
    long seq = ++nextSeq;
    long ticks = Math.max(1, s.timeout().toMillis() / TICK.toMillis());
    pending.put(seq, new Pending(s.entityId(), s.command(), tick + ticks));
    send(seq, pending.get(seq));
    return this;
  }

  private void send(long seq, Pending p) {
    if (leaderHint == null && caller) {
      List<String> members = hosts.members();
      if (!members.isEmpty()) leaderHint = members.get(nextMember++ % members.size());
    }
    if (leaderHint == null) return; // sent again at a tick, once a leader is known
    ActorRef<HostCommand> target = leaderHint.equals(memberId) ? getContext().getSelf() : hosts.apply(leaderHint);
    if (target == null) { // sent again at a tick, once the leader's address is known
      askMembership();
      return;
    }
    long acked = pending.isEmpty() ? nextSeq : pending.firstKey() - 1;
    p.sentAtTick = tick;
    target.tell(new Deliver(p.entityId, p.command, callerId, seq, acked, getContext().getSelf().narrow()));
  }

  private Behavior<HostCommand> onOutcome(Outcome o) {
    if (!o.callerId().equals(callerId)) return this;
    Pending p = pending.get(o.callerSeq());
    if (p == null) return this;
    switch (o.kind()) {
      case DONE, FAILED -> pending.remove(o.callerSeq());
      case NOT_LEADER -> {
        // Sent again at the next tick, not at once: two members that each name the other as leader (during
        // an election) would otherwise bounce the command between them without end.
        if (o.leaderId() != null) leaderHint = o.leaderId();
        else if (caller) leaderHint = null; // a non-member asks the next member
        p.sentAtTick = Long.MIN_VALUE / 2;
      }
      case RETRY -> p.sentAtTick = Long.MIN_VALUE / 2;
    }
    return this;
  }

  private Behavior<HostCommand> onTick() {
    tick++;
    long attemptTicks = Math.max(1, declaration.attemptTimeout().toMillis() / TICK.toMillis());
    Iterator<Map.Entry<Long, Pending>> it = pending.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, Pending> e = it.next();
      Pending p = e.getValue();
      if (tick >= p.expiresAtTick) it.remove(); // the caller's ask has timed out: outcome unknown
      else if (tick - p.sentAtTick >= attemptTicks) {
        if (caller && p.sentAtTick >= 0) leaderHint = null; // no answer: a non-member asks the next member
        send(e.getKey(), p);
      }
    }
    return this;
  }

  /** The configuration in effect on this member's server: where the members added at run time are. */
  private Behavior<HostCommand> onMembershipSeen(MembershipSeen m) {
    MembershipChanged e = m.event();
    if (e.groupId().equals(groupId) && e.memberId().equals(memberId)) hosts.membershipChanged(e.membership());
    return this;
  }

  /**
   * A member's host does not know where the leader named is: its subscription may have started after its
   * server published the membership it recovered. Ask the group (one question at a time; a follower's server
   * forwards it to the leader, which records every member's address).
   */
  private void askMembership() {
    if (caller || membershipAsked) return;
    membershipAsked = true;
    getContext().ask(MembershipReply.class, group.server(), declaration.attemptTimeout(),
        replyTo -> new MembershipRequest.GetMembership(0, replyTo), (reply, failure) -> new MembershipAnswered(reply));
  }

  private Behavior<HostCommand> onMembershipAnswered(MembershipAnswered a) {
    membershipAsked = false;
    if (a.reply() instanceof MembershipReply.Status status) hosts.membershipChanged(status.membership());
    return this;
  }

  // ---------------------------------------------------------------- leader

  private Behavior<HostCommand> onRoleSeen(RoleSeen r) {
    RoleChanged e = r.event();
    if (!e.groupId().equals(groupId) || !e.memberId().equals(memberId)) return this;
    boolean wasLeader = role == RaftRole.LEADER;
    role = e.role();
    term = e.term();
    if (e.leaderId() != null) leaderHint = e.leaderId();
    else if (role != RaftRole.LEADER) leaderHint = null;
    if (wasLeader && role != RaftRole.LEADER) {
      // What waits here would be decided by a leader no more: send its callers to the next one. A command
      // being handled is answered when its proposal or read ends. Stashed commands are lost, as in Pekko.
      for (Slot slot : slots.values()) {
        for (Deliver d : slot.inbox) answer(d, OutcomeKind.NOT_LEADER);
        for (Deliver d : slot.stash) handling.remove(key(d));
        slot.inbox.clear();
        slot.stash.clear();
      }
      slots.values().removeIf(Slot::idle);
    }
    for (Pending p : pending.values()) p.sentAtTick = Long.MIN_VALUE / 2; // a new leader: send at the next tick
    return this;
  }

  private Behavior<HostCommand> onDeliver(Deliver d) {
    if (role != RaftRole.LEADER) {
      getContext().getLog().debug("{} does not lead group {}: command for {} sent to {}", memberId, groupId, d.entityId(), leaderHint);
      d.ackTo().tell(new Outcome(d.callerId(), d.callerSeq(), OutcomeKind.NOT_LEADER,
          memberId.equals(leaderHint) ? null : leaderHint));
      return this;
    }
    if (!handling.add(key(d))) return this; // a resend of a command under way here: answered when it ends
    Slot slot = slots.computeIfAbsent(d.entityId(), Slot::new);
    slot.inbox.add(d);
    drain(slot);
    return this;
  }

  private void drain(Slot slot) {
    while (slot.working == null && !slot.inbox.isEmpty() && role == RaftRole.LEADER) {
      handle(slot, slot.inbox.poll());
    }
  }

  @SuppressWarnings("unchecked")
  private void handle(Slot slot, Deliver d) {
    slot.lastActiveTick = tick;
    EntityStore.Entity<S> decidedOn = store.get().entity(d.entityId());
    EffectImpl<E, S> effect;
    try {
      effect = (EffectImpl<E, S>) slot.commandHandler.apply(decidedOn.state(), (C) d.command());
    } catch (RuntimeException ex) {
      getContext().getLog().error("the command handler of entity {} of group {} threw on {}: the command is dropped",
          d.entityId(), groupId, d.command().getClass().getName(), ex);
      answer(d, OutcomeKind.FAILED);
      return;
    }
    switch (effect.kind) {
      case UNHANDLED -> {
        getContext().getLog().debug("entity {} of group {}: unhandled command {}", d.entityId(), groupId, d.command());
        runSideEffects(slot, effect, decidedOn.state());
        answer(d, OutcomeKind.DONE);
      }
      case STASH -> {
        if (slot.stash.size() >= declaration.stashCapacity()) {
          getContext().getLog().warn("entity {} of group {}: stash full ({}), command {} dropped", d.entityId(), groupId,
              declaration.stashCapacity(), d.command().getClass().getName());
          answer(d, OutcomeKind.FAILED);
        } else {
          slot.stash.add(d);
          d.ackTo().tell(new Outcome(d.callerId(), d.callerSeq(), OutcomeKind.DONE, null)); // kept: not sent again
        }
      }
      case NONE -> {
        if (declaration.readConsistency() == ReadConsistency.STALE) {
          runSideEffects(slot, effect, decidedOn.state());
          answer(d, OutcomeKind.DONE);
          return;
        }
        long token = ++nextToken;
        slot.working = new Working<>(d, effect, decidedOn, term, token);
        group.read(new SeqNrQuery(d.entityId()), declaration.readConsistency()).whenComplete((seqNr, failure) ->
            self.tell(new ReadConfirmed(d.entityId(), token, (Long) seqNr, failure)));
      }
      case REPLICATE -> {
        long token = ++nextToken;
        slot.working = new Working<>(d, effect, decidedOn, term, token);
        Proposal p = new Proposal(d.entityId(), term, decidedOn.seqNr(), List.copyOf(effect.events), d.callerId(),
            d.callerSeq(), d.callerAcked());
        group.submit(p).whenComplete((result, failure) ->
            self.tell(new Proposed(d.entityId(), token, (ProposalResult) result, failure)));
      }
    }
  }

  private Behavior<HostCommand> onProposed(Proposed r) {
    Slot slot = slots.get(r.entityId());
    if (slot == null || slot.working == null || slot.working.token() != r.token()) return this;
    Working<E, S> w = slot.working;
    slot.working = null;
    Deliver d = w.deliver();
    if (r.failure() != null) {
      Throwable cause = r.failure() instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : r.failure();
      if (cause instanceof RaftException.CommandFailed) {
        getContext().getLog().error("entity {} of group {}: the event handler refused the events of {}: {}",
            d.entityId(), groupId, d.command().getClass().getName(), cause.getMessage());
        answer(d, OutcomeKind.FAILED);
      } else {
        answer(d, OutcomeKind.RETRY); // outcome unknown: the caller sends it again, the log applies it once
      }
    } else if (r.result() instanceof Accepted a) {
      S after = w.decidedOn().state();
      for (E event : w.effect().events) after = slot.eventHandler.apply(after, event);
      if (a.seqNr() != w.decidedOn().seqNr() + w.effect().events.size()) {
        throw new IllegalStateException("entity " + d.entityId() + " of group " + groupId + " on " + memberId
            + ": events decided at sequence number " + w.decidedOn().seqNr() + " applied as " + a.seqNr());
      }
      slot.conflicts = 0;
      runSideEffects(slot, w.effect(), after);
      answer(d, OutcomeKind.DONE);
    } else if (r.result() instanceof Duplicate dup) {
      @SuppressWarnings("unchecked")
      S after = (S) dup.stateAfter();
      runSideEffects(slot, w.effect(), after); // a retry: answered from the state right after the first apply
      answer(d, OutcomeKind.DONE);
    } else if (r.result() instanceof StaleTerm) {
      if (role == RaftRole.LEADER && term > w.term()) slot.inbox.addFirst(d); // leading again, in a later term
      else answer(d, OutcomeKind.NOT_LEADER);
    } else if (r.result() instanceof Conflict c) {
      decideAgain(slot, d, c.seqNr());
    } else {
      throw new IllegalStateException("unexpected proposal result " + r.result() + " in group " + groupId);
    }
    drain(slot);
    return this;
  }

  private Behavior<HostCommand> onReadConfirmed(ReadConfirmed r) {
    Slot slot = slots.get(r.entityId());
    if (slot == null || slot.working == null || slot.working.token() != r.token()) return this;
    Working<E, S> w = slot.working;
    slot.working = null;
    Deliver d = w.deliver();
    if (r.failure() != null) {
      answer(d, OutcomeKind.RETRY);
    } else if (r.seqNr() == w.decidedOn().seqNr()) {
      slot.conflicts = 0;
      runSideEffects(slot, w.effect(), w.decidedOn().state());
      answer(d, OutcomeKind.DONE);
    } else {
      decideAgain(slot, d, r.seqNr());
    }
    drain(slot);
    return this;
  }

  /**
   * The entity had moved on from the state the command was decided on: decide it again once the local store
   * has applied up to {@code seqNr}, with a linearizable read as the barrier.
   */
  private void decideAgain(Slot slot, Deliver d, long seqNr) {
    if (++slot.conflicts > CONFLICTS_MAX || role != RaftRole.LEADER) {
      slot.conflicts = 0;
      answer(d, role == RaftRole.LEADER ? OutcomeKind.RETRY : OutcomeKind.NOT_LEADER);
      return;
    }
    if (store.get().seqNr(d.entityId()) >= seqNr) {
      slot.inbox.addFirst(d);
      return;
    }
    long token = ++nextToken;
    slot.working = new Working<>(d, null, null, term, token);
    group.read(new SeqNrQuery(d.entityId()), ReadConsistency.LINEARIZABLE).whenComplete((s, failure) ->
        self.tell(new CaughtUp(d.entityId(), token, failure)));
  }

  private Behavior<HostCommand> onCaughtUp(CaughtUp r) {
    Slot slot = slots.get(r.entityId());
    if (slot == null || slot.working == null || slot.working.token() != r.token()) return this;
    Deliver d = slot.working.deliver();
    slot.working = null;
    if (r.failure() != null) answer(d, OutcomeKind.RETRY);
    else slot.inbox.addFirst(d);
    drain(slot);
    return this;
  }

  private void runSideEffects(Slot slot, EffectImpl<E, S> effect, S state) {
    for (EffectImpl.SideEffect<S> s : effect.sideEffects) {
      try {
        if (s instanceof EffectImpl.Run<S> run) {
          run.callback().apply(state);
        } else if (s instanceof EffectImpl.Reply<S, ?> reply) {
          tellReply(reply, state);
        } else if (s instanceof EffectImpl.UnstashAll<S>) {
          while (!slot.stash.isEmpty()) slot.inbox.addFirst(slot.stash.pollLast()); // in their order, first
        }
      } catch (Exception ex) {
        getContext().getLog().error("a side effect of entity {} of group {} threw", slot.entityId, groupId, ex);
      }
    }
  }

  private static <S, R> void tellReply(EffectImpl.Reply<S, R> reply, S state) throws Exception {
    reply.replyTo().tell(reply.message().apply(state));
  }

  private void answer(Deliver d, OutcomeKind kind) {
    handling.remove(key(d));
    d.ackTo().tell(new Outcome(d.callerId(), d.callerSeq(), kind, kind == OutcomeKind.NOT_LEADER && !memberId.equals(leaderHint) ? leaderHint : null));
  }

  private static String key(Deliver d) {
    return d.callerId() + ":" + d.callerSeq();
  }

  private Behavior<HostCommand> onPassivateTick() {
    long idleTicks = Math.max(1, declaration.passivateAfter().toMillis() / TICK.toMillis());
    Iterator<Slot> it = slots.values().iterator();
    while (it.hasNext()) {
      Slot slot = it.next();
      if (slot.idle() && tick - slot.lastActiveTick >= idleTicks) {
        it.remove();
        store.get().passivate(slot.entityId);
        getContext().getLog().debug("entity {} of group {} passivated", slot.entityId, groupId);
      }
    }
    return this;
  }

  private Behavior<HostCommand> onGetEntitiesInMemory(GetEntitiesInMemory q) {
    q.replyTo().tell(new EntitiesInMemory(Set.copyOf(slots.keySet())));
    return this;
  }
}
