package io.pekkoraft.consensus.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Free TCP ports on 127.0.0.1, for running several members on one machine (samples, tests, benchmarks):
 * every member's address, port included, is configured on every node before any starts, so Artery
 * cannot bind port 0 and report it afterwards. A port is free when asked; another process could take it
 * before the member binds it.
 *
 * <p>Test support, not part of the Raft API nor of the transport plug-in point: it lives in
 * {@code io.pekkoraft.consensus.testing} beside whatever else running a local cluster needs.
 */
public final class LocalPorts {

  private LocalPorts() {}

  /** {@code count} distinct ports free on 127.0.0.1 right now. */
  public static List<Integer> free(int count) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) sockets.add(new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1")));
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    } finally {
      for (ServerSocket socket : sockets) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing a probe socket: nothing to do
        }
      }
    }
  }
}
