package dev.hybridrelay.examples;

import dev.hybridrelay.server.LocalRelayServer;
import dev.hybridrelay.socket.RelayServerSocket;
import dev.hybridrelay.socket.RelaySocketFactory;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;

/**
 * The stock PostgreSQL JDBC driver reaching a PostgreSQL server through the relay, configured only
 * with connection properties: {@code socketFactory} names {@link RelaySocketFactory}, and
 * {@code socketFactoryArg} carries the connection string, which the driver passes to the factory's
 * public {@code (String)} constructor.
 *
 * <p>The example starts a local relay and, on the database side, a {@link RelayServerSocket} bridged
 * to the PostgreSQL server ({@link TcpBridge}). Against Azure Relay you would run the bridge (or
 * {@code RemoteForwarder}) next to the database and only the JDBC part next to the application.
 *
 * <pre>
 * java dev.hybridrelay.examples.PostgresOverRelay [host port user password database]
 *   defaults: 127.0.0.1 5432 postgres postgres postgres
 * </pre>
 *
 * <p>The host name in the JDBC URL ({@code pg-via-relay}) is never resolved by the relay socket: by
 * default every socket goes to the connection string's {@code EntityPath}. (The driver may still try
 * a DNS lookup of it and ignore the failure; use a name that fails fast, or {@code localhost}.)
 */
public final class PostgresOverRelay {
  private PostgresOverRelay() {}

  public static void main(String[] args) throws Exception {
    String host = args.length > 0 ? args[0] : "127.0.0.1";
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 5432;
    String user = args.length > 2 ? args[2] : "postgres";
    String password = args.length > 3 ? args[3] : "postgres";
    String database = args.length > 4 ? args[4] : "postgres";
    System.out.println(selectVersion(new InetSocketAddress(host, port), user, password, database));
  }

  /** Runs {@code SELECT version()} on the database at {@code postgres}, through a local relay. */
  public static String selectVersion(InetSocketAddress postgres, String user, String password, String database)
      throws Exception {
    try (LocalRelayServer relay = LocalRelayServer.builder().port(0).autoCreate(true).build().start()) {
      String cs = relay.connectionString(LocalRelayServer.DEFAULT_RULE_NAME, "postgres");

      // Database side: listen on the hybrid connection, bridge each connection to PostgreSQL.
      TcpBridge bridge = TcpBridge.start(new RelayServerSocket(cs), postgres);
      try {
        // Application side: the stock driver, told only which socket factory to use.
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("socketFactory", RelaySocketFactory.class.getName());
        props.setProperty("socketFactoryArg", cs); // in a URL instead: URLEncoder.encode(cs, UTF_8)
        props.setProperty("sslmode", "disable");    // TLS to the database would work too, layered on the relay socket
        String url = "jdbc:postgresql://pg-via-relay.invalid:5432/" + database;
        try (Connection c = DriverManager.getConnection(url, props);
            Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT version()")) {
          rs.next();
          return rs.getString(1);
        }
      } finally {
        bridge.close();
      }
    }
  }
}
