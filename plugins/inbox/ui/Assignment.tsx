// Who has the conversation: assign to an agent or a team, transfer, unassign. Those with
// inbox.conversation.assign may do all of it; the assignee may hand over their own.
import { createSignal, For, Show } from 'solid-js'
import { errorText, type UiHost } from '@sapa/sdk/ui'
import type { Agent, Conversation, Team } from './types.ts'

export function Assignment(props: { host: UiHost; conversation: Conversation; teams: Team[]; agents: Agent[]; onChange: (c: Conversation) => void }) {
  const host = props.host
  const t = host.t
  const c = () => props.conversation
  const [busy, setBusy] = createSignal(false)
  const mine = () => Boolean(c().assignee && c().assignee!.id === host.user()?.id)
  const canAssign = () => host.can('inbox.conversation.assign')
  const canHandOver = () => canAssign() || (mine() && host.can('inbox.conversation.reply'))
  const teamName = () => props.teams.find((x) => x.id === c().teamId)?.name ?? (c().teamId ? t('inbox.assign.unknownTeam') : t('inbox.assign.noTeam'))

  async function post(path: 'assign' | 'transfer' | 'unassign', body: Record<string, unknown>, done: string) {
    setBusy(true)
    try {
      props.onChange(await host.api<Conversation>(`/api/inbox/conversations/${c().id}/${path}`, { method: 'POST', body }))
      host.toast(done, 'success')
    } catch (err) {
      host.toast(errorText(host, err, 'inbox', 'inbox.error.action'), 'error')
    } finally {
      setBusy(false)
    }
  }

  // Nobody has it: `assign` takes it (one winner if two try). Someone has it: `transfer` hands it over.
  const toAgent = (userId: string) => {
    if (!userId || userId === c().assignee?.id) return
    const name = props.agents.find((a) => a.id === userId)?.name ?? ''
    void post(c().assignee ? 'transfer' : 'assign', { userId }, t('inbox.done.assigned', { name }))
  }
  const toTeam = (teamId: string) => {
    if (!teamId || teamId === c().teamId) return
    const name = props.teams.find((x) => x.id === teamId)?.name ?? ''
    void post(c().assignee ? 'transfer' : 'assign', { teamId }, t('inbox.done.team', { name }))
  }

  return (
    <section class="inbox-panel-section" aria-labelledby="inbox-assignment-title" data-testid="assignment">
      <h3 class="inbox-section-title" id="inbox-assignment-title">
        {t('inbox.assign.title')}
      </h3>
      <dl class="inbox-facts">
        <dt>{t('inbox.assign.agent')}</dt>
        <dd data-testid="assignee-name">{c().assignee ? (c().assignee!.name ?? t('inbox.formerMember')) : t('inbox.unassigned')}</dd>
        <dt>{t('inbox.assign.team')}</dt>
        <dd>{teamName()}</dd>
      </dl>
      <Show when={canHandOver()}>
        <PickSelect
          id="inbox-assign-agent"
          label={c().assignee ? t('inbox.assign.transferTo') : t('inbox.assign.assignTo')}
          placeholder={t('inbox.assign.chooseAgent')}
          disabled={busy()}
          options={props.agents.map((a) => ({
            value: a.id,
            label: `${a.presence === 'online' ? '● ' : a.presence === 'away' ? '◐ ' : '○ '}${a.name}`,
            current: a.id === c().assignee?.id,
          }))}
          onPick={toAgent}
        />
        <Show when={canAssign() && props.teams.length}>
          <PickSelect
            id="inbox-assign-team"
            label={t('inbox.assign.teamTo')}
            placeholder={t('inbox.assign.chooseTeam')}
            disabled={busy()}
            options={props.teams.map((team) => ({ value: team.id, label: team.name, current: team.id === c().teamId }))}
            onPick={toTeam}
          />
        </Show>
        <Show when={c().assignee}>
          <button type="button" class="btn btn-small" disabled={busy()} data-testid="unassign" onClick={() => void post('unassign', {}, t('inbox.done.unassigned'))}>
            {t('inbox.assign.unassign')}
          </button>
        </Show>
      </Show>
    </section>
  )
}

/**
 * A select that acts: picking an option calls `onPick` and the select goes back to its placeholder
 * (it chooses an action, it does not hold a value). The current choice is listed but disabled.
 */
function PickSelect(props: { id: string; label: string; placeholder: string; disabled: boolean; options: { value: string; label: string; current: boolean }[]; onPick: (value: string) => void }) {
  return (
    <div class="inbox-panel-field">
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        data-testid={props.id.replace(/^inbox-/, '')}
        disabled={props.disabled}
        value=""
        onChange={(e) => {
          const value = e.currentTarget.value
          e.currentTarget.value = ''
          props.onPick(value)
        }}
      >
        <option value="">{props.placeholder}</option>
        <For each={props.options}>{(o) => <option value={o.value} disabled={o.current}>{o.label}</option>}</For>
      </select>
    </div>
  )
}
