package io.pekkoraft.etcd;

import com.google.protobuf.InvalidProtocolBufferException;
import io.pekkoraft.consensus.AppliedCommand;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.RaftRole;
import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.protocol.ServerStatus;
import io.pekkoraft.etcd.api.LeaseGrantResponse;
import io.pekkoraft.etcd.api.LeaseTimeToLiveResponse;
import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * A member's lessor: drives {@link Lessor} while this member leads the etcd group, and reaches the leader's
 * lessor when it does not. One per member, found by the others through the Cluster receptionist (a service key
 * made of the group and the member id).
 *
 * <p>While leading: it reads every lease with its TTL (a LINEARIZABLE read, so after everything committed
 * before), {@link Lessor#promote promotes} the lessor with the leader extension, then follows the grants and
 * revocations applied from there ({@code RaftGroup.watchApplied}); every {@code check-interval} it proposes a
 * {@code LeaseExpire} (with its term, as leader only) for each expired lease. Keep-alives, once a ReadIndex round
 * as leader confirmed the leadership, and TimeToLive questions are answered here from the
 * deadlines; those that reach a member that does not lead are forwarded to the leader's lessor (etcd forwards
 * keep-alives to its leader too), or answered "no leader" while none is known.
 */
final class LessorActor {

  private LessorActor() {}

  interface Command {}

  /** A keep-alive of lease {@code id}, for the leader's lessor; {@code hops} counts forwards. */
  record KeepAlive(long id, ActorRef<KeepAliveAnswer> replyTo, int hops) implements Command, RaftSerializable {}

  /**
   * The answer: the TTL granted again ({@code 0}: the lease is gone or expired), the store revision and Raft term
   * the leader knew; {@code noLeader} when no leader's lessor could be reached.
   */
  record KeepAliveAnswer(long id, long ttl, long revision, long raftTerm, boolean noLeader)
      implements RaftSerializable {}

  /**
   * How long lease {@code id} has left, by the leader's deadline; {@code grantedTtl} is its TTL in the store, read
   * by the asking service just before (a lease the leader does not follow yet starts from it).
   */
  record TimeToLive(long id, long grantedTtl, ActorRef<TimeToLiveAnswer> replyTo, int hops)
      implements Command, RaftSerializable {}

  /** The whole seconds left; {@code noLeader} when no leader's lessor could be reached. */
  record TimeToLiveAnswer(long id, long ttl, boolean noLeader) implements RaftSerializable {}

  private interface Local extends Command, NoSerializationVerificationNeeded {}

  private record RoleSeen(RoleChanged event) implements Local {}

  /** The server's role when this lessor started (it may have been elected before the subscription took). */
  private record StartedAs(RoleChanged event) implements Local {}

  private record Tick() implements Local {}

  private record Synced(long epoch, Map<Long, Long> ttls, long appliedIndex, Throwable failure) implements Local {}

  private record Applied(long epoch, AppliedCommand<EtcdCommand, EtcdResult> command) implements Local {}

  private record TailEnded(long epoch, Throwable failure) implements Local {}

  private record RevokeRefused(long epoch, long id) implements Local {}

  private record Checked(long epoch, KeepAlive request, long ttl) implements Local {}

  private record PeerListed(Receptionist.Listing listing) implements Local {}

  static ServiceKey<Command> serviceKey(String group, String member) {
    return ServiceKey.create(Command.class, "pekko-raft-etcd-lessor-" + group + "-" + member);
  }

  static Behavior<Command> create(RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> group, LeaseSettings settings,
      LongSupplier nanoClock) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new State(ctx, timers, group, settings, nanoClock)
        .behavior()));
  }

  private static final int MAX_HOPS = 2;

  private static final class State {
    private final ActorContext<Command> ctx;
    private final RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> group;
    private final LeaseSettings settings;
    private final LongSupplier clock;
    private final Lessor lessor;
    /** Counts leaderships, so that answers from an earlier one are dropped. */
    private long epoch;
    private boolean synced;
    private boolean syncing;
    private UniqueKillSwitch tail;
    private String leaderId;
    /** Whether a role of this member's server is known (then the status asked at the start is out of date). */
    private boolean roleSeen;
    private long raftTerm;
    /** The term this member leads in, while its lessor leads: the term its expiries are decided in. */
    private long leaderTerm;
    private long revision;
    private final Map<String, ActorRef<Command>> peers = new HashMap<>();
    private final Set<String> subscribed = new HashSet<>();
    /** The adapter every subscribed listing arrives through; each listing names its key. */
    private ActorRef<Receptionist.Listing> listings;
    /**
     * Requests that reached this lessor before its server's role was known, or while leading before its first read
     * of the leases: handled once that is done.
     */
    private final List<Command> waiting = new ArrayList<>();
    /** Requests for a leader whose lessor the receptionist has not listed yet (the service's ask bounds them). */
    private final List<Command> parked = new ArrayList<>();

    State(ActorContext<Command> ctx, TimerScheduler<Command> timers, RaftGroup<EtcdCommand, EtcdQuery, EtcdResult> group,
        LeaseSettings settings, LongSupplier clock) {
      this.ctx = ctx;
      this.group = group;
      this.settings = settings;
      this.clock = clock;
      this.lessor = new Lessor(settings.revokeRetry().toNanos());
      ctx.getSystem().receptionist().tell(Receptionist.register(serviceKey(group.groupId(), group.memberId()),
          ctx.getSelf()));
      ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(RoleChanged.class,
          ctx.messageAdapter(RoleChanged.class, RoleSeen::new)));
      timers.startTimerWithFixedDelay(new Tick(), settings.checkInterval());
      ctx.ask(ServerStatus.class, group.server(), settings.askTimeout(), ServerStatus.Get::new, (st, failure) ->
          st == null ? new Tick() : new StartedAs(new RoleChanged(group.groupId(), group.memberId(), st.role(),
              st.term(), st.leaderId())));
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessage(RoleSeen.class, this::onRole)
          .onMessage(StartedAs.class, s -> roleSeen ? Behaviors.same() : onRole(new RoleSeen(s.event())))
          .onMessage(Tick.class, t -> onTick())
          .onMessage(Synced.class, this::onSynced)
          .onMessage(Applied.class, this::onApplied)
          .onMessage(TailEnded.class, this::onTailEnded)
          .onMessage(RevokeRefused.class, r -> {
            if (r.epoch() == epoch) lessor.revoked(r.id());
            return Behaviors.same();
          })
          .onMessage(Checked.class, this::onChecked)
          .onMessage(PeerListed.class, this::onPeer)
          .onMessage(KeepAlive.class, this::onKeepAlive)
          .onMessage(TimeToLive.class, this::onTimeToLive)
          .build();
    }

    private Behavior<Command> onRole(RoleSeen seen) {
      RoleChanged e = seen.event();
      if (!e.groupId().equals(group.groupId()) || !e.memberId().equals(group.memberId())) return Behaviors.same();
      roleSeen = true;
      raftTerm = e.term();
      leaderId = e.leaderId();
      if (leaderId != null && !leaderId.equals(group.memberId()) && subscribed.add(leaderId)) {
        // One adapter for every leader's listing (an actor has one adapter per message class: a second one would
        // replace the first, and label the earlier leader's listings with the later leader's name).
        if (listings == null) listings = ctx.messageAdapter(Receptionist.Listing.class, PeerListed::new);
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(serviceKey(group.groupId(), leaderId), listings));
      }
      unpark();
      boolean leads = e.role() == RaftRole.LEADER;
      if (leads && !lessor.leading()) {
        epoch++;
        leaderTerm = e.term();
        lessor.promote(Map.of(), 0, clock.getAsLong());
        synced = false;
        startSync();
      } else if (!leads && lessor.leading()) {
        epoch++;
        lessor.demote();
        synced = false;
        syncing = false;
        stopTail();
      }
      if (!lessor.leading()) {
        // Requests that waited for a sync, or for the first role known: to the leader now.
        List<Command> again = new ArrayList<>(waiting);
        waiting.clear();
        again.forEach(c -> ctx.getSelf().tell(c));
      }
      return Behaviors.same();
    }

    private void startSync() {
      syncing = true;
      long at = epoch;
      ctx.pipeToSelf(group.read(new EtcdQuery.LeaseTtls(), ReadConsistency.LINEARIZABLE), (r, failure) ->
          failure != null ? new Synced(at, Map.of(), 0, failure)
              : new Synced(at, EtcdStateMachine.leaseTtls(((EtcdResult.Done) r).response()), r.appliedIndex(), null));
    }

    private Behavior<Command> onSynced(Synced s) {
      if (s.epoch() != epoch || !lessor.leading()) return Behaviors.same();
      syncing = false;
      if (s.failure() != null) {
        ctx.getLog().debug("lessor of {}: reading the leases failed ({}), again at the next check", group.groupId(),
            s.failure().toString());
        return Behaviors.same();
      }
      lessor.promote(s.ttls(), settings.leaderExtension().toNanos(), clock.getAsLong());
      synced = true;
      long at = epoch;
      tail = group.watchApplied(s.appliedIndex() + 1)
          .viaMat(KillSwitches.single(), Keep.right())
          .toMat(Sink.foreach(c -> ctx.getSelf().tell(new Applied(at, c))), Keep.both())
          .mapMaterializedValue(both -> {
            both.second().whenComplete((done, failure) -> ctx.getSelf().tell(new TailEnded(at, failure)));
            return both.first();
          })
          .run(ctx.getSystem());
      List<Command> again = new ArrayList<>(waiting);
      waiting.clear();
      again.forEach(c -> ctx.getSelf().tell(c));
      return Behaviors.same();
    }

    private Behavior<Command> onApplied(Applied a) {
      if (a.epoch() != epoch || a.command().failed()) return Behaviors.same();
      EtcdResult result = a.command().result();
      revision = Math.max(revision, result.revision());
      if (!(result instanceof EtcdResult.Done done)) return Behaviors.same();
      if (a.command().command() instanceof EtcdCommand.LeaseGrant) {
        try {
          LeaseGrantResponse granted = LeaseGrantResponse.parseFrom(done.response());
          lessor.granted(granted.getID(), granted.getTTL(), clock.getAsLong());
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalStateException("the etcd state machine answered a lease grant that does not parse", e);
        }
      } else if (a.command().command() instanceof EtcdCommand.LeaseRevoke revoke) {
        lessor.revoked(revoke.id());
      } else if (a.command().command() instanceof EtcdCommand.LeaseExpire expire) {
        lessor.revoked(expire.id());
      }
      return Behaviors.same();
    }

    private Behavior<Command> onTailEnded(TailEnded t) {
      if (t.epoch() != epoch || !lessor.leading()) return Behaviors.same();
      // The grants and revokes are no longer followed (the watch fell too far behind, say): read them again. The new
      // deadlines are full TTLs plus the extension from now, later than the lost ones: nothing expires early.
      ctx.getLog().info("lessor of {}: following the leases ended ({}), reading them again", group.groupId(),
          String.valueOf(t.failure()));
      epoch++;
      synced = false;
      tail = null;
      startSync();
      return Behaviors.same();
    }

    private void stopTail() {
      if (tail != null) tail.shutdown();
      tail = null;
    }

    private Behavior<Command> onTick() {
      if (!lessor.leading()) return Behaviors.same();
      if (!synced) {
        if (!syncing) startSync();
        return Behaviors.same();
      }
      long at = epoch;
      for (long id : lessor.expired(clock.getAsLong())) {
        ctx.getLog().debug("lessor of {}: lease {} expired, proposing its revocation", group.groupId(), id);
        // As the leader of leaderTerm only: never forwarded to a later leader, and applied only from an entry of
        // that term (EtcdCommand.LeaseExpire), so a deposed leader's expiry never reaches the store.
        ctx.pipeToSelf(group.submitAsLeader(new EtcdCommand.LeaseExpire(id, leaderTerm), settings.askTimeout()),
            (r, failure) -> r instanceof EtcdResult.Refused ? new RevokeRefused(at, id) : new Tick());
      }
      return Behaviors.same();
    }

    private boolean serving() {
      return lessor.leading() && synced;
    }

    private Behavior<Command> onKeepAlive(KeepAlive k) {
      if (!roleSeen) {
        waiting.add(k);
      } else if (serving()) {
        // Renewed only once this member has confirmed that it still leads (etcd 3.5's ensureLeadership): a
        // leader deposed without knowing it yet (paused, cut off) must not acknowledge a keep-alive, since its
        // successor keeps deadlines of its own. The read, as leader only (never forwarded), is a ReadIndex round;
        // it also tells whether the store holds the lease, for one granted a moment ago and not followed yet.
        long at = epoch;
        ctx.pipeToSelf(group.readAsLeader(new EtcdQuery.LeaseTimeToLive(k.id(), false), ReadConsistency.LINEARIZABLE,
                settings.askTimeout()),
            (r, failure) -> new Checked(at, k, ttlOf(r, failure)));
      } else if (lessor.leading()) {
        waiting.add(k);
      } else {
        switch (route(k, k.hops())) {
          case NONE -> k.replyTo().tell(new KeepAliveAnswer(k.id(), 0, 0, raftTerm, true));
          case PARKED -> { }
          case LEADER -> peers.get(leaderId).tell(new KeepAlive(k.id(), k.replyTo(), k.hops() + 1));
        }
      }
      return Behaviors.same();
    }

    /** The TTL in the store of a {@link EtcdQuery.LeaseTimeToLive} answer; 0 for no such lease; -1 unknown. */
    private static long ttlOf(EtcdResult r, Throwable failure) {
      if (failure != null) return -1;
      if (r instanceof EtcdResult.Refused) return 0;
      try {
        return LeaseTimeToLiveResponse.parseFrom(((EtcdResult.Done) r).response()).getGrantedTTL();
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("the etcd state machine answered a lease that does not parse", e);
      }
    }

    private Behavior<Command> onChecked(Checked c) {
      KeepAlive k = c.request();
      if (c.epoch() != epoch || !serving()) {
        // The leadership changed meanwhile: handled again as this lessor is now (forwarded, or kept for a sync).
        ctx.getSelf().tell(k);
        return Behaviors.same();
      }
      if (c.ttl() < 0) {
        // The leadership was not confirmed (deposed without knowing it yet, or no majority in time): not renewed,
        // not acknowledged; the client sends it again, to the leader it finds.
        k.replyTo().tell(new KeepAliveAnswer(k.id(), 0, revision, raftTerm, true));
        return Behaviors.same();
      }
      long now = clock.getAsLong();
      if (c.ttl() > 0 && !lessor.knows(k.id())) lessor.granted(k.id(), c.ttl(), now);
      long ttl = c.ttl() > 0 ? lessor.renew(k.id(), now) : 0;
      k.replyTo().tell(new KeepAliveAnswer(k.id(), ttl, revision, raftTerm, false));
      return Behaviors.same();
    }

    private Behavior<Command> onTimeToLive(TimeToLive t) {
      if (!roleSeen) {
        waiting.add(t);
      } else if (serving()) {
        long now = clock.getAsLong();
        if (!lessor.knows(t.id())) lessor.granted(t.id(), t.grantedTtl(), now);
        t.replyTo().tell(new TimeToLiveAnswer(t.id(), lessor.remainingSeconds(t.id(), now), false));
      } else if (lessor.leading()) {
        waiting.add(t);
      } else {
        switch (route(t, t.hops())) {
          case NONE -> t.replyTo().tell(new TimeToLiveAnswer(t.id(), 0, true));
          case PARKED -> { }
          case LEADER -> peers.get(leaderId).tell(new TimeToLive(t.id(), t.grantedTtl(), t.replyTo(), t.hops() + 1));
        }
      }
      return Behaviors.same();
    }

    private enum Route { NONE, PARKED, LEADER }

    /**
     * Where a request this member cannot answer goes: to the leader's lessor; parked until the receptionist lists
     * it (just after a leader change), then sent again; nowhere ("no leader") while no leader is known or after
     * {@code MAX_HOPS} forwards.
     */
    private Route route(Command request, int hops) {
      if (hops >= MAX_HOPS || leaderId == null || leaderId.equals(group.memberId())) return Route.NONE;
      if (peers.containsKey(leaderId)) return Route.LEADER;
      parked.add(request);
      return Route.PARKED;
    }

    private void unpark() {
      List<Command> again = new ArrayList<>(parked);
      parked.clear();
      again.forEach(c -> ctx.getSelf().tell(c));
    }

    private Behavior<Command> onPeer(PeerListed p) {
      for (String member : subscribed) {
        ServiceKey<Command> key = serviceKey(group.groupId(), member);
        if (!p.listing().isForKey(key)) continue;
        Set<ActorRef<Command>> refs = p.listing().getServiceInstances(key);
        if (refs.isEmpty()) peers.remove(member);
        else peers.put(member, refs.iterator().next());
      }
      unpark();
      return Behaviors.same();
    }
  }
}
