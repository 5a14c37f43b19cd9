// The contacts plugin's web module: one page at /contacts with its own sub-routes —
// /contacts (table), /contacts/<id> (detail), /contacts/import[/<importId>], /contacts/segments,
// /contacts/fields (the custom fields).
import { Match, Switch } from 'solid-js'
import { defineUi, type PageProps } from '@sapa/sdk/ui'
import './contacts.css'
import { ContactDetail } from './ContactDetail.tsx'
import { ContactsTable } from './ContactsTable.tsx'
import { FieldsPage } from './FieldsPage.tsx'
import { ImportPage } from './ImportWizard.tsx'
import { messages } from './messages.ts'
import { SegmentsPage } from './SegmentsPage.tsx'

function ContactsPage(props: PageProps) {
  const first = () => props.params['0'] ?? ''
  return (
    <Switch fallback={<ContactsTable host={props.host} />}>
      <Match when={first() === 'import'}>
        <ImportPage host={props.host} importId={props.params['1']} />
      </Match>
      <Match when={first() === 'segments'}>
        <SegmentsPage host={props.host} />
      </Match>
      <Match when={first() === 'fields'}>
        <FieldsPage host={props.host} />
      </Match>
      <Match when={first()} keyed>
        {(id) => <ContactDetail host={props.host} id={id} />}
      </Match>
    </Switch>
  )
}

export default defineUi({
  pages: { contacts: ContactsPage },
  messages,
})
