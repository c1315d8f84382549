package dev.hybridrelay.cli;

import static dev.hybridrelay.cli.ForwardCommand.EXIT_FAILURE;
import static dev.hybridrelay.cli.ForwardCommand.EXIT_REFUSED;

import dev.hybridrelay.cli.ForwardRun.Running;
import dev.hybridrelay.cli.ForwardRun.StartException;
import dev.hybridrelay.core.RelayAuthorizationException;
import dev.hybridrelay.core.RelayConnectException;
import dev.hybridrelay.core.RelayListenerEvents;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The relay listeners of {@code forward} ({@code -T}, {@code -H}): start-up errors and listener events. */
final class ForwardListeners {
  private static final Logger log = LoggerFactory.getLogger("hybridrelay.forward");

  private ForwardListeners() {}

  static dev.hybridrelay.core.RelayListener.Builder keepAlive(ForwardPlan plan,
      dev.hybridrelay.core.RelayListener.Builder lb) {
    if (!plan.listenerEndpoints.isEmpty()) {
      lb.endpoints(plan.listenerEndpoints);
    }
    return plan.keepAliveInterval == null ? lb : lb.keepAliveInterval(plan.keepAliveInterval);
  }

  interface Start {
    void run() throws IOException;
  }

  /** Starts a listener (-T, -H) and maps its failure to an exit code. */
  static void start(String hc, Start start) throws StartException {
    try {
      start.run();
    } catch (RelayAuthorizationException ex) {
      throw new StartException(EXIT_REFUSED, "The relay refused the credentials for listening on hybrid connection '"
          + hc + "': " + ex.getMessage() + " — check the rule name and key, and that the rule has Listen rights", ex);
    } catch (RelayConnectException ex) {
      throw new StartException(ex.isTransient() && ex.statusCode() != 404 ? EXIT_FAILURE : EXIT_REFUSED,
          "The relay refused listening on hybrid connection '" + hc + "': " + ex.getMessage(), ex);
    } catch (IOException ex) {
      throw new StartException(EXIT_FAILURE, "Could not listen on hybrid connection '" + hc + "': " + ex, ex);
    }
  }

  static dev.hybridrelay.core.RelayListener.Builder events(ForwardPlan plan,
      dev.hybridrelay.core.RelayListener.Builder lb, String hc, Running running) {
    return keepAlive(plan, lb).events(new RelayListenerEvents() {
      @Override
      public void onConnecting(Throwable cause) {
        if (cause != null) {
          log.warn("Listener for hybrid connection '{}' lost its connection to the relay ({}); reconnecting",
              hc, cause.getMessage());
        }
      }

      @Override
      public void onOnline() {
        log.debug("Listener for hybrid connection '{}' is online", hc);
      }

      @Override
      public void onRegistrationChanged(java.net.URI endpoint, dev.hybridrelay.core.ListenerState state,
          Throwable cause) {
        if (state == dev.hybridrelay.core.ListenerState.ONLINE) {
          log.info("Listener for hybrid connection '{}' registered with relay node {}", hc, endpoint);
        } else if (state == dev.hybridrelay.core.ListenerState.OFFLINE) {
          log.warn("Listener for hybrid connection '{}': relay node {} refused it ({}); the other nodes go on",
              hc, endpoint, cause == null ? "" : cause.getMessage());
        } else if (cause != null) {
          log.warn("Listener for hybrid connection '{}': relay node {} not reachable ({}); retrying", hc, endpoint,
              cause.getMessage());
        }
      }

      @Override
      public void onOffline(Throwable cause) {
        if (cause != null) {
          running.fail(cause instanceof RelayConnectException ? EXIT_REFUSED : EXIT_FAILURE,
              "Listener for hybrid connection '" + hc + "' stopped: " + cause.getMessage());
        }
      }
    });
  }
}
