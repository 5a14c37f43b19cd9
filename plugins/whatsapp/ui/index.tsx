// The whatsapp plugin's web module: the numbers page (manifest nav item `numbers`, at /whatsapp).
import { defineUi } from '@sapa/sdk/ui'
import { NumbersPage } from './NumbersPage.tsx'
import { en, id } from './messages.ts'
import './whatsapp.css'

export default defineUi({
  pages: { numbers: NumbersPage },
  messages: { en, id },
})
