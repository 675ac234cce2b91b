package io.pekkoraft.consensus.impl.client;

import io.pekkoraft.consensus.ReadConsistency;
import io.pekkoraft.consensus.protocol.ServerCommand;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.annotation.InternalApi;

/**
 * Where a {@link io.pekkoraft.consensus.RaftClient}'s requests go, from what the answers taught: the leader
 * hint, and the servers that recently gave no answer. Two routes share them: this one, to the leader (commands,
 * LINEARIZABLE and LEASE reads), and {@link #offLeader()}, to the other members (FOLLOWER and STALE reads,
 * which a follower or learner serves itself).
 *
 * <p>A server that gave no answer within the attempt timeout is <em>silent</em> for one more attempt timeout,
 * doubled at each further attempt it leaves unanswered up to {@link #SILENCE_MAX_FACTOR} attempt timeouts, or
 * until it answers: the routes go elsewhere meanwhile. Its node may have been killed; the followers keep
 * naming it as the leader until their election timeout, and following such a stale hint at once would send
 * the request to the dead node again and wait another attempt timeout each time. A silent leader that was
 * only slow is asked again once its silence ends.
 */
@InternalApi
public final class MemberRoute implements RequestLoop.Route {

  /** The members a route may ask, and how to reach them. */
  public interface Members {
    /** The members followed now, sorted. */
    List<String> ids();

    /**
     * The member's server if it can be asked now, else null; {@code named}: it was named as the leader, so
     * it may be reached before it is listed.
     */
    ActorRef<ServerCommand> usable(String member, boolean named);

    /** {@code ref} is the member's server. */
    boolean isServerOf(String member, ActorRef<ServerCommand> ref);

    /** An answer named {@code member}, which {@link #ids()} does not hold, as the leader: learn the membership. */
    void unknownMember(String member);
  }

  /** A server that keeps giving no answer is passed over for at most this many attempt timeouts at a time. */
  static final int SILENCE_MAX_FACTOR = 4;

  /** A server that gave no answer {@code misses} times in a row is passed over until {@code until}. */
  private record Silence(long until, int misses) {}

  private final Members members;
  private final LongSupplier nanoTime;
  private final long silenceNanos;
  private final AtomicInteger roundRobin = new AtomicInteger();
  private final AtomicInteger readRoundRobin = new AtomicInteger();
  /** Servers that gave no answer, until when they count as silent (on {@link #nanoTime}). */
  private final Map<ActorRef<ServerCommand>, Silence> silent = new ConcurrentHashMap<>();
  private final OffLeader offLeader = new OffLeader();
  private volatile String leaderHint;

  /** {@code silence}: how long a server that gave no answer is passed over (the attempt timeout). */
  public MemberRoute(Members members, LongSupplier nanoTime, Duration silence) {
    this.members = members;
    this.nanoTime = nanoTime;
    this.silenceNanos = silence.toNanos();
  }

  /** The member believed to lead, or null. */
  public String leaderHint() {
    return leaderHint;
  }

  /** The group's answer to a membership question named its leader. */
  public void leaderLearned(String leaderId) {
    leaderHint = leaderId;
  }

  /** The route of reads of {@code consistency}: off the leader for FOLLOWER and STALE, else this one. */
  public RequestLoop.Route forReads(ReadConsistency consistency) {
    return consistency == ReadConsistency.FOLLOWER || consistency == ReadConsistency.STALE ? offLeader : this;
  }

  /** The route to the members other than the leader (FOLLOWER and STALE reads). */
  public RequestLoop.Route offLeader() {
    return offLeader;
  }

  @Override
  public ActorRef<ServerCommand> next() {
    String hint = leaderHint;
    ActorRef<ServerCommand> leader = hint == null ? null : members.usable(hint, true);
    if (leader != null && !silent(leader)) return leader;
    ActorRef<ServerCommand> other = anyOther(null, roundRobin);
    if (other != null) return other;
    return leader != null ? leader : anyOther(null, roundRobin, true); // all silent: ask one all the same
  }

  /** A usable member other than {@code except}, not silent, taken in turn. */
  private ActorRef<ServerCommand> anyOther(String except, AtomicInteger turn) {
    return anyOther(except, turn, false);
  }

  private ActorRef<ServerCommand> anyOther(String except, AtomicInteger turn, boolean evenSilent) {
    List<String> ids = members.ids();
    if (ids.isEmpty()) return null;
    int start = Math.floorMod(turn.getAndIncrement(), ids.size());
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get((start + i) % ids.size());
      if (id.equals(except)) continue;
      ActorRef<ServerCommand> ref = members.usable(id, false);
      if (ref != null && (evenSilent || !silent(ref))) return ref;
    }
    return null;
  }

  /**
   * {@code asked} knows {@code leaderId} leads (null: none); true when that is a new lead to follow at once. A
   * silent one is not followed at once: it is most likely the leader that died, still named until an election.
   */
  @Override
  public boolean notLeader(ActorRef<ServerCommand> asked, String leaderId) {
    heard(asked);
    leaderHint = leaderId;
    if (leaderId != null && !members.ids().contains(leaderId)) members.unknownMember(leaderId);
    ActorRef<ServerCommand> named = leaderId == null ? null : members.usable(leaderId, true);
    return named != null && !named.equals(asked) && !silent(named);
  }

  /** Members do not forward the client's requests: they name the leader, and the client goes there itself. */
  @Override
  public int hops() {
    return 1;
  }

  /** With hops 1 a server that applied a command leads; one that served a read led at the time. */
  @Override
  public void served(ActorRef<ServerCommand> asked) {
    heard(asked);
    for (String member : members.ids()) {
      if (members.isServerOf(member, asked)) leaderHint = member;
    }
  }

  @Override
  public void noAnswer(ActorRef<ServerCommand> asked) {
    long now = nanoTime.getAsLong();
    silent.compute(asked, (ref, before) -> {
      int misses = before == null ? 1 : before.misses() + 1;
      long factor = Math.min(SILENCE_MAX_FACTOR, 1L << Math.min(misses - 1, 30));
      return new Silence(now + factor * silenceNanos, misses);
    });
    String hint = leaderHint;
    if (hint != null && members.isServerOf(hint, asked)) leaderHint = null;
  }

  private void heard(ActorRef<ServerCommand> server) {
    if (!silent.isEmpty()) silent.remove(server);
  }

  /** Passed over now; once its silence ends it is asked again, and its misses count on until it answers. */
  private boolean silent(ActorRef<ServerCommand> server) {
    Silence s = silent.get(server);
    return s != null && nanoTime.getAsLong() - s.until() < 0;
  }

  /**
   * FOLLOWER and STALE reads: to the members other than the leader hint, in turn (a follower or a learner
   * serves them itself: FOLLOWER with a read index from the leader, STALE from its own state), to the leader
   * when no other member can be asked or every other one is silent. A server that serves a read is not
   * taken for the leader, and one that knows no leader (NotLeader(null)) does not clear the hint: the read
   * goes to the next member.
   */
  private final class OffLeader implements RequestLoop.Route {
    @Override
    public ActorRef<ServerCommand> next() {
      ActorRef<ServerCommand> other = anyOther(leaderHint, readRoundRobin);
      return other != null ? other : MemberRoute.this.next();
    }

    @Override
    public boolean notLeader(ActorRef<ServerCommand> asked, String leaderId) {
      heard(asked);
      if (leaderId != null) MemberRoute.this.notLeader(asked, leaderId);
      return false; // wait a moment; the next attempt goes to the next member
    }

    @Override
    public void served(ActorRef<ServerCommand> asked) {
      heard(asked);
    }

    @Override
    public void noAnswer(ActorRef<ServerCommand> asked) {
      MemberRoute.this.noAnswer(asked);
    }

    /** A FOLLOWER or STALE read is served where it arrives; never forwarded. */
    @Override
    public int hops() {
      return 1;
    }
  }
}
