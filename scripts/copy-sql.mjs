// tsc copies no .sql files; the migrations ship beside the compiled store.
import { cpSync } from 'node:fs'

cpSync('src/store/migrations', 'dist/store/migrations', { recursive: true })
