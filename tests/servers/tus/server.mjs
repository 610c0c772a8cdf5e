// The npm @tus/server with a file store on 127.0.0.1, for the tus integration tests and benchmark.
// Usage: node server.mjs [port (0 = any free port)] [store folder] [max upload size in bytes, optional]
// Prints "LISTENING <port>" once it accepts connections; stops cleanly on SIGTERM.
import { Server, EVENTS } from '@tus/server'
import { FileStore } from '@tus/file-store'

const port = Number(process.argv[2] ?? 1080)
const dir = process.argv[3] ?? './files'
const maxSize = process.argv[4] ? Number(process.argv[4]) : undefined
const server = new Server({
  path: '/files',
  maxSize,
  datastore: new FileStore({ directory: dir, expirationPeriodInMilliseconds: 24 * 3600 * 1000 }),
})
server.on(EVENTS.POST_FINISH, (req, res, upload) => console.log(`FINISHED ${upload.id} size=${upload.size}`))
const http = server.listen({ host: '127.0.0.1', port }, () => console.log(`LISTENING ${http.address().port}`))
process.on('SIGTERM', () => http.close(() => process.exit(0)))
