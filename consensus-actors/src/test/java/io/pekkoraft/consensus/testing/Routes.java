package io.pekkoraft.consensus.testing;

import io.pekkoraft.consensus.impl.client.RequestLoop;
import io.pekkoraft.consensus.protocol.ServerCommand;
import org.apache.pekko.actor.typed.ActorRef;

/** Routes for driving a {@link RequestLoop} by hand in tests. */
public final class Routes {

  private Routes() {}

  /** Always the one server given, as a member asks its own server (hops 0); NotLeader gives no new lead. */
  public static RequestLoop.Route toOne(ActorRef<ServerCommand> server) {
    return RequestLoop.Route.to(server, 0, true);
  }
}
