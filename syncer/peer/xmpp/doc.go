// Package xmpp is the XMPP peer transport: every autosync instance of a
// user logs into the user's own XMPP account with its own resource and
// tells the others about a push with a chat message to the account, the
// protocol of dvcs-autosync, so that old and new instances on one account
// work together.
//
// # Wire protocol
//
// On login the client sends its initial presence (so that the other
// resources, old dvcs-autosync bots included, see it) and, once the server
// has echoed that presence back, the chat message "login <resource>" to the
// own bare JID. After a push, Announce sends the chat message
// "pushed <remote-url>" to the own bare JID, with credentials removed from
// the URL (peer.StripCredentials). The server delivers such a message to
// every available resource of the account, the sender included.
//
// Incoming messages (types chat, normal, headline; never error) are
// dropped when delayed (a delay stamp: stored offline, so stale; every
// (re)connect triggers a catch-up fetch instead), empty (carbons, chat
// states), our own echo (from our full JID), or from anyone but the own
// account and the allowed JIDs (logged at debug level, never acted on).
// The first word, lower-cased, is the command:
//
//   - pushed <url>: Handler.Announced, with the URL as sent (credentials
//     removed, in case an old instance sent them);
//   - ping: reply "pong";
//   - whoami: reply "You are <sender full JID>, I am <own full JID>";
//   - help: reply with the list of commands;
//   - login, unknown, pong, you, available: ignored (greetings and the
//     replies of other bots);
//   - anything else: reply `Unknown command: "<cmd>". Type "help" for
//     available commands.`
//
// Replies go to the sender's full JID, not to the bare JID as
// dvcs-autosync did, so that a ping wakes one instance rather than all.
// Two bots cannot loop: every reply we send starts with a word we ignore
// ("pong", "You", "Unknown", "Available"), and dvcs-autosync ignores
// "Unknown ..." too, so a reply is never answered by more than one
// "Unknown command" that ends the exchange.
//
// # Connection
//
// Run connects, waits for the own presence echo (a message sent before the
// server has seen our presence misses us), calls Handler.Connected, and
// serves until the context ends, reconnecting with capped exponential
// backoff plus jitter (1 s to 5 min, reset after a connection that came
// online). A wrong password or unknown account is permanent: the state is
// peer.Failed with a message saying what to check, and the login is tried
// again only every 10 minutes (servers such as ejabberd's mod_fail2ban ban
// an address after about 20 failures an hour; a password_command whose
// keyring was locked may work later).
//
// go-xmpp dials its own socket and has no handshake timeout, and its Close
// races with a blocked Recv. So the transport dials the server itself and
// hands go-xmpp a private loopback connection that it pumps to the real
// one (see pipe.go). Closing that pipe ends any go-xmpp call at once and
// race-free: it bounds the handshake (a server that accepts TCP and never
// answers), detects a dead or half-open connection (the transport pings
// the server every 30 s, XEP-0199, and gives up when nothing arrives for
// 90 s), and makes cancellation prompt. The XMPP connection does not go
// through HTTP proxies.
//
// Certificates are always verified, against the system roots plus the
// optional CA file, for the JID's domain. TLS "none" is accepted only for a
// server on a loopback address. Message carbons are never enabled.
package xmpp
